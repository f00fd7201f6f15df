// A Decision under the API's field names (certgate.v1.ValidateResponse), shared by
// the gRPC adapter and `certgate verify` so both print the same decision.
import type { Decision } from "./validator.ts";

export interface PrincipalView {
  readonly username: string;
  readonly user_store_domain: string;
  readonly tenant_domain: string;
  readonly qualified_username: string;
  readonly subject: string;
  readonly issuer: string;
  readonly serial_number: string;
  readonly sha256_fingerprint: string;
  readonly not_after: Date;
  readonly spiffe_id: string;
}

export interface WarningView {
  readonly rule: string;
  readonly section: string;
  readonly cert_index: number;
  readonly subject: string;
  readonly detail: string;
}

export interface DecisionView {
  readonly allowed: boolean;
  readonly reason: string;
  readonly message: string;
  readonly http_status: number;
  readonly exempt: boolean;
  readonly cert_index: number;
  readonly principal: PrincipalView | null;
  readonly matched_rule: { readonly context: string; readonly http_method: string; readonly index: number } | null;
  readonly required_scopes: readonly string[];
  readonly warnings: readonly WarningView[];
}

export function decisionView(decision: Decision): DecisionView {
  const identity = decision.identity;
  const principal = identity?.principal;
  return {
    allowed: decision.allowed,
    reason: decision.reason,
    message: decision.message,
    http_status: decision.httpStatus,
    exempt: decision.exempt,
    cert_index: decision.certIndex,
    principal:
      identity === undefined
        ? null
        : {
            username: principal?.username ?? "",
            user_store_domain: principal?.userStoreDomain ?? "",
            tenant_domain: principal?.tenantDomain ?? "",
            qualified_username: principal?.qualifiedUsername ?? "",
            subject: identity.subject,
            issuer: identity.issuer,
            serial_number: identity.serialNumber,
            sha256_fingerprint: identity.fingerprint,
            not_after: identity.notAfter,
            spiffe_id: identity.spiffeId ?? "",
          },
    matched_rule:
      decision.matchedRule === undefined
        ? null
        : { context: decision.matchedRule.context, http_method: decision.matchedRule.httpMethod, index: decision.matchedRule.index },
    required_scopes: decision.requiredScopes,
    warnings: decision.warnings.map((warning) => ({
      rule: warning.rule,
      section: warning.section,
      cert_index: warning.certIndex,
      subject: warning.subject,
      detail: warning.detail,
    })),
  };
}
