// What happens after every decision, whatever adapter made it: the metrics, the
// client-expiry, nonconformance and revocation watches, the audit line, and WSO2's
// log_client_cert_info line.
import type { Logger } from "pino";
import type { Config } from "../config/config.ts";
import type { DecisionEvent } from "../grpc/certgate-service.ts";
import { ClientExpiryWatch } from "../metrics/client-expiry.ts";
import type { Metrics } from "../metrics/metrics.ts";
import { NonconformanceWatch } from "../metrics/nonconformance.ts";
import { RevocationUnavailableWatch } from "../metrics/revocation-unavailable.ts";

/** The adapter a call came through, for the metrics' adapter label. */
const ADAPTERS: Readonly<Record<string, string>> = { Validate: "grpc", Check: "grpc", ForwardAuth: "http" };

/** WSO2's log_client_cert_info: the certificate of a request authenticated outside the CN check, and the user it asserted. */
function logClientCertInfo(logger: Logger, config: Config, event: DecisionEvent): void {
  const { identity, exempt } = event.decision;
  if (!config.accessControl.logClientCertInfo || identity === undefined || (!exempt && config.intermediateCertValidation.enable)) return;
  logger.info(
    { thumbprint: identity.fingerprint, issuer: identity.issuer, user: event.userHeader, allowed: event.decision.allowed },
    `mTLS certificate thumbprint ${identity.fingerprint}, issuer ${identity.issuer}, for the request made by user ${event.userHeader ?? "(none)"}`,
  );
}

function logDecision(logger: Logger, audit: boolean, event: DecisionEvent): void {
  // Checked first so that a disabled level builds no object on the hot path.
  const level = audit ? "info" : "debug";
  if (!logger.isLevelEnabled(level)) return;
  const { decision } = event;
  logger[level](
    {
      audit: true,
      rpc: event.rpc,
      allowed: decision.allowed,
      reason: decision.reason,
      principal: decision.identity?.principal?.qualifiedUsername,
      fingerprint: decision.identity?.fingerprint,
      path: event.context,
      method: event.method,
      durationMs: Math.round(event.durationMs * 1000) / 1000,
      caller: event.caller(),
    },
    "decision",
  );
}

/** The one function every adapter reports its decisions to. */
export function decisionObserver(logger: Logger, metrics: Metrics, config: () => Config): (event: DecisionEvent) => void {
  const clientExpiry = new ClientExpiryWatch(metrics, logger);
  const nonconformance = new NonconformanceWatch(metrics, logger);
  const unavailable = new RevocationUnavailableWatch(metrics, logger);
  return (event) => {
    const current = config();
    metrics.decision(ADAPTERS[event.rpc] ?? "grpc", event.rpc, event.decision.reason, event.decision.allowed, event.durationMs / 1000);
    clientExpiry.observe(event.decision, () => new Date(), current.log.expiryWarningDays);
    nonconformance.observe(event.decision);
    unavailable.observe(event.decision, Date.now(), current.revocation.failureBackoffSeconds * 1000);
    logDecision(logger, current.log.audit, event);
    logClientCertInfo(logger, current, event);
  };
}
