// Stable reason codes: part of the public API (proto enum certgate.v1.Reason and
// the README table). Add new codes at the end; never rename or reuse one.

export const REASONS = [
  "OK",
  "MALFORMED_CERTIFICATE",
  "CHAIN_TOO_LONG",
  "PATH_NOT_FOUND",
  "SELF_SIGNED_CERTIFICATE",
  "BAD_SIGNATURE",
  "CERTIFICATE_EXPIRED",
  "CERTIFICATE_NOT_YET_VALID",
  "NOT_A_CA",
  "PATH_LENGTH_EXCEEDED",
  "KEY_USAGE_INVALID",
  "EXTENDED_KEY_USAGE_INVALID",
  "UNKNOWN_CRITICAL_EXTENSION",
  "WEAK_SIGNATURE_ALGORITHM",
  "INTERMEDIATE_CN_NOT_ALLOWED",
  "EMPTY_CN",
  "AMBIGUOUS_CN",
  "INVALID_USERNAME",
  "INVALID_REQUEST_PATH",
  "NO_CERTIFICATE",
  "NO_MATCHING_RULE",
  "HANDLER_NOT_ALLOWED",
  "CROSS_TENANT_DENIED",
  "ACCESS_DENIED",
  "USER_NOT_MAPPED",
  "REVOKED",
  "REVOCATION_UNKNOWN",
  "NAME_CONSTRAINT_VIOLATION",
  "POLICY_INVALID",
  "CERTIFICATE_TOO_LARGE",
  "NONCONFORMING_CERTIFICATE",
  "INVALID_SVID",
  "TRUST_DOMAIN_MISMATCH",
  "NO_PRINCIPAL_MAPPING",
  "PRINCIPAL_NOT_ALLOWED",
  "INVALID_PROXY_HEADER",
] as const;

export type Reason = (typeof REASONS)[number];
export type FailureReason = Exclude<Reason, "OK">;

/**
 * A denial, as a structured cause: which check failed (`reason`, and `rule` where a
 * reason has several causes worth telling apart), on which presented certificate
 * (-1: none in particular), and a message for people. Hints, metrics and docs key on
 * reason and rule, never on the message.
 */
export interface Failure {
  readonly ok: false;
  readonly reason: FailureReason;
  readonly message: string;
  readonly certIndex: number;
  readonly rule?: string;
}

/** Why material read outside a request (a CRL, an OCSP answer, a bundle, a configured name) cannot be used. */
export interface Unusable {
  readonly ok: false;
  readonly why: string;
}

export function unusable(why: string): Unusable {
  return { ok: false, why };
}

export function fail(reason: FailureReason, message: string, certIndex = -1, rule?: string): Failure {
  return rule === undefined ? { ok: false, reason, message, certIndex } : { ok: false, reason, message, certIndex, rule };
}

/**
 * What a sidecar answers its client. 401: the client is not authenticated (no
 * usable certificate or identity); 403: authenticated but refused by policy.
 */
export function httpStatusFor(reason: Reason): 200 | 401 | 403 {
  switch (reason) {
    case "OK":
      return 200;
    case "MALFORMED_CERTIFICATE":
    case "CHAIN_TOO_LONG":
    case "PATH_NOT_FOUND":
    case "SELF_SIGNED_CERTIFICATE":
    case "BAD_SIGNATURE":
    case "CERTIFICATE_EXPIRED":
    case "CERTIFICATE_NOT_YET_VALID":
    case "NOT_A_CA":
    case "PATH_LENGTH_EXCEEDED":
    case "KEY_USAGE_INVALID":
    case "EXTENDED_KEY_USAGE_INVALID":
    case "UNKNOWN_CRITICAL_EXTENSION":
    case "WEAK_SIGNATURE_ALGORITHM":
    case "EMPTY_CN":
    case "AMBIGUOUS_CN":
    case "INVALID_USERNAME":
    case "NO_CERTIFICATE":
    case "NO_MATCHING_RULE":
    case "HANDLER_NOT_ALLOWED":
    case "USER_NOT_MAPPED":
    case "REVOKED":
    case "REVOCATION_UNKNOWN":
    case "NAME_CONSTRAINT_VIOLATION":
    case "POLICY_INVALID":
    case "CERTIFICATE_TOO_LARGE":
    case "NONCONFORMING_CERTIFICATE":
    case "INVALID_SVID":
    case "TRUST_DOMAIN_MISMATCH":
    case "NO_PRINCIPAL_MAPPING":
    // WSO2: the CN check fails authentication (the handler answers FAILED), and the
    // AuthorizationValve answers a cross-tenant refusal 401 (403 only under /o/{org}/,
    // which decision() applies).
    case "INTERMEDIATE_CN_NOT_ALLOWED":
    case "CROSS_TENANT_DENIED":
      return 401;
    case "INVALID_REQUEST_PATH":
    case "ACCESS_DENIED":
    case "PRINCIPAL_NOT_ALLOWED":
    // The proxy did not say which request it asks about: refused, never guessed at.
    case "INVALID_PROXY_HEADER":
      return 403;
  }
}
