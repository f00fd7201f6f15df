// Revocation sources that existed but could not be used - a CRL that no longer
// parses, is stale or signed by nobody certgate trusts, a distribution point or
// responder that did not answer: counted in certgate_revocation_unavailable_total and
// logged once per source per backoff period, so a soft_fail allow is never silent
// about the status it could not check, and a broken source does not flood the log.
import type { Logger } from "pino";
import { LruCache } from "../lru-cache.ts";
import type { Decision } from "../validator/validator.ts";
import type { Metrics } from "./metrics.ts";

/** Sources remembered; past this many distinct ones the oldest may be reported again early. */
const SOURCES = 10_000;

export class RevocationUnavailableWatch {
  readonly #reported = new LruCache<string, number>(SOURCES);
  readonly #metrics: Metrics;
  readonly #logger: Logger;

  constructor(metrics: Metrics, logger: Logger) {
    this.#metrics = metrics;
    this.#logger = logger;
  }

  /** Called with every decision; reports each source at most once per `backoffMs`. */
  observe(decision: Decision, now: number, backoffMs: number): void {
    for (const source of decision.revocationUnavailable) {
      const key = `${source.sourceKind}|${source.source}|${source.why}`;
      const last = this.#reported.get(key);
      if (last !== undefined && now - last < backoffMs) continue;
      this.#reported.set(key, now);
      this.#metrics.revocationUnavailable(source.sourceKind, source.why);
      const outcome = decision.allowed ? "allowed without it (soft_fail)" : `refused (${decision.reason})`;
      this.#logger.warn(
        { sourceKind: source.sourceKind, source: source.source, why: source.why, subject: source.subject, allowed: decision.allowed },
        `revocation status of "${source.subject}" could not be checked with ${source.source}: ${source.detail}; ${outcome}`,
      );
    }
  }
}
