// What a load generator process counts and reports: the calls answered and failed in
// its measurement window (after the warm-up), and when the window is over, an evenly
// spaced sample of its sorted latencies (20,000 points: fine enough for p99.9), so the
// driver can merge several clients.

export interface WindowJob {
  startAt: number;
  warmupMs: number;
  durationMs: number;
}

export class MeasuredWindow {
  readonly #start: number;
  readonly #end: number;
  readonly #maxLatencies: number;
  readonly #latencies: number[] = [];
  #count = 0;
  #errors = 0;

  constructor(job: WindowJob, maxLatencies = 200_000) {
    this.#start = job.startAt + job.warmupMs;
    this.#end = this.#start + job.durationMs;
    this.#maxLatencies = maxLatencies;
  }

  /** An answer arriving now: counted when now falls in the window. */
  answer(ok: boolean, latencyMs: number): void {
    const now = Date.now();
    if (now < this.#start || now > this.#end) return;
    if (!ok) this.#errors++;
    else {
      this.#count++;
      if (this.#latencies.length < this.#maxLatencies) this.#latencies.push(latencyMs);
    }
  }

  /** A failure outside any answer (a connection error): counted whenever it happens. */
  error(): void {
    this.#errors++;
  }

  over(): boolean {
    return Date.now() > this.#end;
  }

  /** Just after the window ends: `stop` the load, then report and exit. */
  reportWhenOver(stop: () => void): void {
    setTimeout(
      () => {
        stop();
        const latencies = this.#latencies.sort((a, b) => a - b);
        const size = Math.min(latencies.length, 20_000);
        const sample = Array.from({ length: size }, (_, k) => latencies[Math.floor((k * latencies.length) / size)]!);
        // A pipe takes a large report in several writes: exit once it is all out, not before.
        process.stdout.write(JSON.stringify({ count: this.#count, errors: this.#errors, sample }) + "\n", () => process.exit(0));
      },
      this.#end - Date.now() + 200,
    );
  }
}
