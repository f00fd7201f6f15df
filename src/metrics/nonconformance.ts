// Nonconforming certificates (and CRLs) on verified paths, under the rfc5280 profile:
// each distinct one is counted once per broken rule and logged once, naming the CA
// that issued it, every rule it breaks and the fix, so an operator learns what strict
// would refuse before switching to it.
import type { Logger } from "pino";
import { LruCache } from "../lru-cache.ts";
import type { Nonconformance } from "../pki/path/profile.ts";
import type { Decision } from "../validator/validator.ts";
import type { Metrics } from "./metrics.ts";

/** Certificates remembered as reported; past this many distinct ones the oldest may be reported again. */
const SEEN = 100_000;

export class NonconformanceWatch {
  readonly #seen = new LruCache<string, true>(SEEN);
  /** A cached decision carries the same warnings array every time: looked at once. */
  readonly #looked = new WeakSet<readonly Nonconformance[]>();
  readonly #metrics: Metrics;
  readonly #logger: Logger;

  constructor(metrics: Metrics, logger: Logger) {
    this.#metrics = metrics;
    this.#logger = logger;
  }

  /** Called with every decision; reports each certificate the first time it is seen. */
  observe(decision: Decision): void {
    const { warnings } = decision;
    if (warnings.length === 0 || this.#looked.has(warnings)) return;
    this.#looked.add(warnings);
    for (const [fingerprint, found] of Map.groupBy(warnings, (warning) => warning.fingerprint)) {
      if (this.#seen.get(fingerprint) !== undefined) continue;
      this.#seen.set(fingerprint, true);
      for (const warning of found) this.#metrics.nonconforming(warning.rule);
      this.#log(found);
    }
  }

  #log(found: readonly Nonconformance[]): void {
    const first = found[0]!;
    this.#logger.warn(
      {
        subject: first.subject,
        issuer: first.issuer,
        fingerprint: first.fingerprint,
        rules: found.map((warning) => warning.rule),
        fixes: [...new Set(found.map((warning) => warning.fix))],
      },
      `"${first.subject}" (issued by "${first.issuer}") breaks RFC 5280: ${found.map((warning) => `${warning.rule} (${warning.section})`).join(", ")}; ` +
        `accepted under truststore.profile = "rfc5280", refused under "strict"; the CA should: ${[...new Set(found.map((warning) => warning.fix))].join("; ")}`,
    );
  }
}
