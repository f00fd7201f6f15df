// Ratios that hold on a shared machine. A neighbour's load moves one run by half
// (measured here: validate-warm / echo at 0.64 and 0.94 an hour apart), so the
// scenarios a ratio compares run interleaved, A, B, A, B, ... (BENCH_REPEAT rounds),
// each ratio is taken within a round, and the median of the rounds is printed with
// their range: a target is judged on the median, not on one draw. A ratio per server
// CPU-second is better still measured side by side (harness.sideBySide): both servers
// under load over the same window, so whatever the neighbours take, they take from both.
import type { Result } from "./harness.ts";

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: number;
}

export function spreadOf(values: readonly number[]): Spread | undefined {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, rounds: sorted.length };
}

export type Field = "perCpuSecond" | "perSecond" | "p50" | "p99" | "p999";

export class Samples {
  readonly #runs = new Map<string, Result[]>();
  /** Side-by-side runs, by "baseline|measured". */
  readonly #pairs = new Map<string, (readonly [Result, Result])[]>();

  add(result: Result): void {
    this.#runs.set(result.name, [...(this.#runs.get(result.name) ?? []), result]);
  }

  hasPairs(): boolean {
    return this.#pairs.size > 0;
  }

  addPair(baseline: Result, measured: Result): void {
    const key = `${baseline.name}|${measured.name}`;
    this.#pairs.set(key, [...(this.#pairs.get(key) ?? []), [baseline, measured]]);
  }

  runs(name: string): readonly Result[] {
    return this.#runs.get(name) ?? [];
  }

  /** The round whose `field` is the median (for one line that stands for the scenario). */
  median(name: string, field: Field = "perCpuSecond"): Result | undefined {
    const runs = [...this.runs(name)].sort((a, b) => (a[field] ?? 0) - (b[field] ?? 0));
    return runs[Math.floor((runs.length - 1) / 2)];
  }

  /** `b / a` of `field` within each round both ran in (side by side, for per server CPU-second, where they did), as a median and range. */
  ratio(a: string, b: string, field: Field = "perCpuSecond"): Spread | undefined {
    const pairs = this.#pairs.get(`${a}|${b}`);
    if (field === "perCpuSecond" && pairs !== undefined) return spreadOf(pairs.map(([x, y]) => y.perCpuSecond / x.perCpuSecond));
    const as = this.runs(a);
    const bs = this.runs(b);
    return spreadOf(bs.slice(0, as.length).map((run, i) => (run[field] ?? Number.NaN) / (as[i]![field] ?? Number.NaN)));
  }
}

export type Scenario = readonly [name: string, measure: () => Promise<Result> | Result];

/** Each wanted scenario of the group once per round, `repeat` rounds, in the same order every round. */
export async function interleaved(
  group: readonly Scenario[],
  repeat: number,
  wanted: (name: string) => boolean,
  report: (result: Result) => void,
): Promise<void> {
  const chosen = group.filter(([name]) => wanted(name));
  for (let round = 0; round < repeat; round++) for (const [, measure] of chosen) report(await measure());
}

export type Pair = readonly [baseline: string, measured: string, measure: () => Promise<readonly Result[]>];

/** Each wanted pair (by its measured scenario) side by side once per round, `repeat` rounds. */
export async function sideBySideRounds(
  pairs: readonly Pair[],
  repeat: number,
  wanted: (name: string) => boolean,
  report: (baseline: Result, measured: Result) => void,
): Promise<void> {
  const chosen = pairs.filter(([, measured]) => wanted(measured));
  for (let round = 0; round < repeat; round++) {
    for (const [, , measure] of chosen) {
      const [baseline, measured] = await measure();
      report(baseline!, measured!);
    }
  }
}

/** "0.91 (0.84-0.97, 3 rounds)" */
export function formatSpread(value: Spread, digits = 2): string {
  return `${value.median.toFixed(digits)} (${value.min.toFixed(digits)}-${value.max.toFixed(digits)}, ${value.rounds} round${value.rounds === 1 ? "" : "s"})`;
}
