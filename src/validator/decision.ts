// What the validator is asked and what it answers: the request, the decision and
// who the client is. The wire adapters translate these to and from their messages.
import type { Nonconformance } from "../pki/path/profile.ts";
import type { RevocationNeed, Unavailable } from "../pki/revocation/check.ts";
import type { RevocationStore } from "../pki/revocation/store.ts";
import type { Principal } from "../principal/principal.ts";
import type { RuleMatch } from "../policy/resource-rules.ts";
import { isOrganizationPath } from "../policy/cross-tenant.ts";
import { httpStatusFor, type Failure, type Reason } from "../reason.ts";

export type ChainInput = { readonly pem: string } | { readonly der: readonly Uint8Array[] };

export interface ValidationRequest {
  readonly chain: ChainInput;
  /** The request path; query and fragment are ignored. */
  readonly context: string;
  readonly method: string;
  /** WSO2-Identity-User: honoured only where the CN check does not apply. */
  readonly userHeader?: string | undefined;
  /** Stapled OCSP responses (DER), for certificates of the chain. */
  readonly ocspResponses?: readonly Uint8Array[];
  /** Who the proxy says the peer is (Envoy's attributes.source.principal); a different verified SPIFFE ID is refused. */
  readonly peerPrincipal?: string | undefined;
}

/** Who the client is: always the leaf's facts; `principal` is absent when no user is named. */
export interface Identity {
  readonly principal: Principal | undefined;
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly fingerprint: string;
  readonly notAfter: Date;
  /** The leaf's SPIFFE ID when it is a checked X.509-SVID (SPIFFE handling on). */
  readonly spiffeId: string | undefined;
}

export interface MatchedRule {
  readonly context: string;
  readonly httpMethod: string;
  readonly index: number;
}

export interface Decision {
  readonly allowed: boolean;
  readonly reason: Reason;
  readonly message: string;
  readonly httpStatus: 200 | 401 | 403;
  readonly exempt: boolean;
  readonly certIndex: number;
  readonly identity: Identity | undefined;
  readonly matchedRule: MatchedRule | undefined;
  readonly requiredScopes: readonly string[];
  /** Revocation sources the edge should fetch before asking again; empty when the decision is final. */
  readonly revocationNeeds: readonly RevocationNeed[];
  /** RFC 5280 section 4 rules the verified path's certificates (and the CRLs that vouched) break, under the rfc5280 profile. */
  readonly warnings: readonly Nonconformance[];
  /** Revocation sources that existed but could not be used (a soft_fail allow says so here). */
  readonly revocationUnavailable: readonly Unavailable[];
  /** Present when the request asked for an explanation. */
  readonly explanation?: Explanation;
}

/** The explanation a decision carries when asked (explanation.ts writes it). */
export type TraceStage = "input" | "route" | "path" | "check" | "revocation" | "policy" | "principal" | "access" | "decision";

export interface TraceStep {
  readonly stage: TraceStage;
  /** The presented certificate the step is about (0 = leaf); -1: none in particular, or one from the trust store. */
  readonly certIndex: number;
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface CertificateSummary {
  /** 0 = leaf; the anchor is last. */
  readonly depth: number;
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  /** "EC P-256", "RSA 2048", "Ed25519", ... */
  readonly key: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly fingerprint: string;
  readonly anchor: boolean;
  /** Where it was presented; -1: from the trust store. */
  readonly presentedIndex: number;
}

export interface Explanation {
  readonly steps: readonly TraceStep[];
  /** The path that was checked last (leaf first); empty when none was built. */
  readonly path: readonly CertificateSummary[];
  /** Whether that path passed path validation (a later stage may still refuse). */
  readonly pathVerified: boolean;
  /** On a refusal: what an operator can do about it. */
  readonly hint: string | undefined;
}

export interface ValidateOptions {
  /** Trace every step and decide afresh (never from, never into the decision cache). */
  readonly explain?: boolean;
}

export interface Validator {
  validate(request: ValidationRequest, at: Date, options?: ValidateOptions): Decision;
  /** Where fetched CRLs and OCSP answers go (flushed with the validator on reload). */
  readonly revocationStore: RevocationStore;
}

/** What is known about the request before the chain is looked at. */
export interface Route {
  readonly ok: true;
  readonly exempt: boolean;
  /** The exempt-context entry that matched, if any. */
  readonly exemptBy: string | undefined;
  readonly path: string;
  readonly segments: readonly string[];
  readonly match: RuleMatch | undefined;
}

export type Outcome = Failure | { readonly ok: true; readonly message: string };

/** One shared empty list, so each cached decision does not carry its own. */
export const NONE: readonly never[] = Object.freeze([]);

export function decision(route: Route | undefined, outcome: Outcome, identity?: Identity, warnings: readonly Nonconformance[] = NONE): Decision {
  const reason: Reason = outcome.ok ? "OK" : outcome.reason;
  const rule = route?.match;
  return {
    allowed: outcome.ok,
    reason,
    message: outcome.message,
    httpStatus: reason === "CROSS_TENANT_DENIED" && route !== undefined && isOrganizationPath(route.segments) ? 403 : httpStatusFor(reason),
    exempt: route?.exempt ?? false,
    certIndex: outcome.ok ? -1 : outcome.certIndex,
    identity,
    matchedRule: rule === undefined ? undefined : { context: rule.rule.context, httpMethod: rule.rule.httpMethod, index: rule.index },
    requiredScopes: rule?.rule.scopes ?? NONE,
    revocationNeeds: NONE,
    warnings,
    revocationUnavailable: NONE,
  };
}

/** A denial for input refused before it reached the validator (e.g. a malformed header). */
export function refusedInput(failure: Failure): Decision {
  return decision(undefined, failure);
}
