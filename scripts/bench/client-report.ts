// What a load generator process reports when its window ends: the calls answered and
// failed in the window, and an evenly spaced sample of its sorted latencies (20,000
// points: fine enough for p99.9), so the driver can merge several clients.
export function reportAndExit(count: number, errors: number, latencies: number[]): void {
  latencies.sort((a, b) => a - b);
  const size = Math.min(latencies.length, 20_000);
  const sample = Array.from({ length: size }, (_, k) => latencies[Math.floor((k * latencies.length) / size)]!);
  // A pipe takes a large report in several writes: exit once it is all out, not before.
  process.stdout.write(JSON.stringify({ count, errors, sample }) + "\n", () => process.exit(0));
}
