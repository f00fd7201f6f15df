// Expiry of the client certificates certgate allows: each distinct leaf is observed
// once per process (a histogram without per-certificate labels, so cardinality stays
// fixed) and, when it expires within log.expiry_warning_days, logged once. Envoy
// reports only its own certificates' expiry; this is the clients'.
import type { Logger } from "pino";
import { LruCache } from "../lru-cache.ts";
import type { Decision } from "../validator/validator.ts";
import type { Metrics } from "./metrics.ts";

/** Leaves remembered as seen; past this many distinct ones the oldest may be observed again. */
const SEEN = 100_000;
const DAY_SECONDS = 86_400;

export class ClientExpiryWatch {
  readonly #seen = new LruCache<string, true>(SEEN);
  readonly #metrics: Metrics;
  readonly #logger: Logger;

  constructor(metrics: Metrics, logger: Logger) {
    this.#metrics = metrics;
    this.#logger = logger;
  }

  /** Called with every decision; acts on the first allowed one for each leaf. */
  observe(decision: Decision, now: () => Date, warningDays: number): void {
    const identity = decision.identity;
    if (!decision.allowed || identity === undefined || this.#seen.get(identity.fingerprint) !== undefined) return;
    this.#seen.set(identity.fingerprint, true);
    const secondsLeft = (identity.notAfter.getTime() - now().getTime()) / 1000;
    this.#metrics.clientCertificate(secondsLeft);
    if (secondsLeft < warningDays * DAY_SECONDS) {
      this.#logger.warn(
        {
          subject: identity.subject,
          fingerprint: identity.fingerprint,
          notAfter: identity.notAfter.toISOString(),
          principal: identity.principal?.qualifiedUsername ?? "",
        },
        `client certificate expires in ${(secondsLeft / DAY_SECONDS).toFixed(1)} days (log.expiry_warning_days is ${warningDays})`,
      );
    }
  }
}
