// `npm run bench`, latency at the rate users run: Validate (warm) and Check sent open
// loop at fixed rates (BENCH_RATES, default 1000, 3000 and 5000 calls/s), latency
// measured from when each call was due (client.ts), beside the echo server at the same
// rate; each rate's three scenarios interleaved over the rounds. One line per rate.
import type { Result } from "./harness.ts";
import { formatSpread, interleaved, type Samples, type Scenario } from "./samples.ts";

export interface RateBench {
  readonly rates: readonly number[];
  readonly repeat: number;
  readonly wanted: (name: string) => boolean;
  readonly report: (result: Result) => void;
  readonly samples: Samples;
  /** The three scenarios of one rate: echo, Validate, Check, each sent at `rate` calls/s. */
  readonly at: (rate: number) => { echo: Scenario[1]; validate: Scenario[1]; check: Scenario[1] };
}

const ms = (value: number | undefined) => (value ?? Number.NaN).toFixed(2);

/** Runs every rate and returns the lines that sum it up (medians of the rounds, p99 ratios against echo). */
export async function fixedRate(bench: RateBench): Promise<string[]> {
  const lines: string[] = [];
  for (const rate of bench.rates) {
    const { echo, validate, check } = bench.at(rate);
    const names = [`rate-${rate}-echo`, `rate-${rate}-validate`, `rate-${rate}-check`] as const;
    await interleaved(
      [
        [names[0], echo],
        [names[1], validate],
        [names[2], check],
      ],
      bench.repeat,
      bench.wanted,
      bench.report,
    );
    const [e, v, c] = names.map((name) => bench.samples.median(name, "p99"));
    if (e === undefined || v === undefined || c === undefined) continue;
    lines.push(
      `${`at ${rate} calls/s (p50 / p99 / p99.9 ms)`.padEnd(40)} echo ${ms(e.p50)} / ${ms(e.p99)} / ${ms(e.p999)}` +
        `   Validate ${ms(v.p50)} / ${ms(v.p99)} / ${ms(v.p999)}   Check ${ms(c.p50)} / ${ms(c.p99)} / ${ms(c.p999)}`,
    );
    const validateRatio = bench.samples.ratio(names[0], names[1], "p99");
    const checkRatio = bench.samples.ratio(names[0], names[2], "p99");
    const target = rate <= 3000 ? "<= 1.5" : "reported";
    if (validateRatio !== undefined) lines.push(`${`  p99 Validate / echo at ${rate}/s`.padEnd(52)} ${formatSpread(validateRatio)}   (target ${target})`);
    if (checkRatio !== undefined) lines.push(`${`  p99 Check / echo at ${rate}/s`.padEnd(52)} ${formatSpread(checkRatio)}   (target ${target})`);
  }
  return lines;
}
