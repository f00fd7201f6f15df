// One decision from one request: parse -> resource rule -> verify path -> policy ->
// principal -> grants. Pure: time comes in as an argument; nothing here logs, reads
// files or talks gRPC.
import { createHash } from "node:crypto";
import { LruCache } from "./lru-cache.ts";
import { decodeCertificate, type Certificate } from "./pki/certificate.ts";
import { verifyPath, type Purpose, type VerifiedPath } from "./pki/path.ts";
import { decodePemChain } from "./pki/pem.ts";
import type { TrustStore } from "./pki/trust-store.ts";
import { checkCrossTenant } from "./policy/cross-tenant.ts";
import { compileExemptContexts } from "./policy/exempt-context.ts";
import { checkGrants, type GrantSource } from "./policy/grants.ts";
import { compileIntermediateCnAllowList } from "./policy/intermediate-cn.ts";
import { normaliseRequestPath } from "./policy/request-path.ts";
import { compileResourceRules, type ResourceRule, type RuleMatch } from "./policy/resource-rules.ts";
import { principalFromCommonNames, principalFromName, type Principal, type PrincipalOptions } from "./principal/principal.ts";
import { mapCertificateToUser, type ThumbprintMappings } from "./principal/thumbprint-mapping.ts";
import { fail, httpStatusFor, type Failure, type Reason } from "./reason.ts";

export type ChainInput = { readonly pem: string } | { readonly der: readonly Uint8Array[] };

export interface ValidationRequest {
  readonly chain: ChainInput;
  /** The request path; query and fragment are ignored. */
  readonly context: string;
  readonly method: string;
  /** WSO2-Identity-User: honoured only where the CN check does not apply. */
  readonly userHeader?: string | undefined;
}

export interface ValidatorSettings {
  readonly trust: TrustStore;
  readonly maxChainLength: number;
  readonly allowSha1: boolean;
  readonly purpose: Purpose;
  readonly intermediateCnValidation: {
    readonly enable: boolean;
    readonly certCns: readonly string[];
    readonly exemptContexts: readonly string[];
  };
  readonly principal: PrincipalOptions;
  /** [[resource.access_control]] in file order; empty or absent: every path needs a valid certificate. */
  readonly resourceAccess?: { readonly rules: readonly ResourceRule[]; readonly defaultAccess: "allow" | "deny" };
  readonly grants?: GrantSource;
  /** [client_certificate_based_authentication] when enabled. */
  readonly thumbprintMappings?: ThumbprintMappings;
  /** Decoded certificates kept between requests (keyed by DER SHA-256). */
  readonly certificateCacheSize?: number;
  /** Told of every cache lookup, for metrics. */
  readonly onCacheLookup?: (cache: "certificate", hit: boolean) => void;
}

/** Who the client is: always the leaf's facts; `principal` is absent when no user is named. */
export interface Identity {
  readonly principal: Principal | undefined;
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly fingerprint: string;
  readonly notAfter: Date;
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
}

export interface Validator {
  validate(request: ValidationRequest, at: Date): Decision;
}

/** What is known about the request before the chain is looked at. */
interface Route {
  readonly exempt: boolean;
  readonly segments: readonly string[];
  readonly match: RuleMatch | undefined;
}

function decision(route: Route | undefined, outcome: Failure | { ok: true; message: string }, identity?: Identity): Decision {
  const reason: Reason = outcome.ok ? "OK" : outcome.reason;
  const rule = route?.match;
  return {
    allowed: outcome.ok,
    reason,
    message: outcome.message,
    httpStatus: httpStatusFor(reason),
    exempt: route?.exempt ?? false,
    certIndex: outcome.ok ? -1 : outcome.certIndex,
    identity,
    matchedRule: rule === undefined ? undefined : { context: rule.rule.context, httpMethod: rule.rule.httpMethod, index: rule.index },
    requiredScopes: rule?.rule.scopes ?? [],
  };
}

/** A denial for input refused before it reached the validator (e.g. a malformed header). */
export function refusedInput(failure: Failure): Decision {
  return decision(undefined, failure);
}

function identityOf(leaf: Certificate, principal: Principal | undefined): Identity {
  return {
    principal,
    subject: leaf.subject.text,
    issuer: leaf.issuer.text,
    serialNumber: leaf.serialNumber,
    fingerprint: leaf.fingerprint,
    notAfter: leaf.notAfter,
  };
}

const DEFAULT_CERTIFICATE_CACHE = 10_000;
const CLIENT_CERTIFICATE_HANDLER = "clientcertificate";

export function createValidator(settings: ValidatorSettings): Validator {
  const certificates = new LruCache<string, Certificate>(settings.certificateCacheSize ?? DEFAULT_CERTIFICATE_CACHE);
  const exemptContexts = compileExemptContexts(settings.intermediateCnValidation.exemptContexts);
  const allowList = compileIntermediateCnAllowList(settings.intermediateCnValidation.certCns);
  const rules = compileResourceRules(settings.resourceAccess?.rules ?? [], settings.resourceAccess?.defaultAccess ?? "deny");

  function decode(der: Uint8Array, index: number): Certificate | Failure {
    const fingerprint = createHash("sha256").update(der).digest("hex");
    const cached = certificates.get(fingerprint);
    settings.onCacheLookup?.("certificate", cached !== undefined);
    if (cached !== undefined) return cached;
    const decoded = decodeCertificate(der, index);
    if (!decoded.ok) return decoded;
    certificates.set(fingerprint, decoded.certificate);
    return decoded.certificate;
  }

  function parseChain(chain: ChainInput): Certificate[] | Failure {
    const ders = "pem" in chain ? decodePemChain(chain.pem) : { ok: true as const, certificates: chain.der };
    if (!ders.ok) return ders;
    if (ders.certificates.length === 0) return fail("NO_CERTIFICATE", "no client certificate was presented");
    // Refuse before decoding: an oversized chain should cost nothing.
    if (ders.certificates.length > settings.maxChainLength) {
      return fail("CHAIN_TOO_LONG", `${ders.certificates.length} certificates presented; max_chain_length is ${settings.maxChainLength}`);
    }
    const out: Certificate[] = [];
    for (const [index, der] of ders.certificates.entries()) {
      const certificate = decode(der, index);
      if ("ok" in certificate) return certificate;
      out.push(certificate);
    }
    return out;
  }

  /** Rules that settle the request before any certificate is read; undefined: a certificate is needed. */
  function decideBeforeCertificate(route: Route): Decision | undefined {
    if (!rules.enabled) return undefined;
    const rule = route.match?.rule;
    if (rule === undefined) {
      if (rules.defaultAccess === "allow") return decision(route, { ok: true, message: "no rule matches; default_access is allow" });
      return decision(route, fail("NO_MATCHING_RULE", "no resource access rule matches this path and method; default_access is deny"));
    }
    if (!rule.secure) return decision(route, { ok: true, message: `rule "${rule.context}" is not secured` });
    const handlers = rule.allowedAuthHandlers;
    if (!handlers.includes("all") && !handlers.includes(CLIENT_CERTIFICATE_HANDLER)) {
      return decision(route, fail("HANDLER_NOT_ALLOWED", `rule "${rule.context}" does not allow the ClientCertificate handler`));
    }
    return undefined;
  }

  /** The user named by the asserted-user header, or by a certificate mapping. */
  function assertedUser(path: VerifiedPath, userHeader: string | undefined): string | undefined | Failure {
    const mappings = settings.thumbprintMappings;
    if (mappings === undefined) return userHeader === "" ? undefined : userHeader;
    const mapped = mapCertificateToUser(mappings, { issuerUnorderedKey: path.leaf.issuer.unorderedKey, fingerprint: path.leaf.fingerprint }, userHeader);
    return mapped.ok ? mapped.username : mapped;
  }

  /** The CN check, or the asserted user where the CN check does not apply. */
  function principalFor(path: VerifiedPath, checkCn: boolean, userHeader: string | undefined): Principal | undefined | Failure {
    if (checkCn) {
      const refused = allowList.check({ commonNames: path.issuer.subject.commonNames, name: path.issuer.subject.text, certIndex: path.issuerIndex });
      if (refused !== undefined) return refused;
      const result = principalFromCommonNames(path.leaf.subject.commonNames, settings.principal);
      return result.ok ? result.principal : result;
    }
    const user = assertedUser(path, userHeader);
    if (user === undefined || typeof user !== "string") return user;
    const result = principalFromName(user, settings.principal);
    return result.ok ? result.principal : result;
  }

  /** Cross-tenant and grant checks of the matched rule. */
  function authorize(route: Route, principal: Principal | undefined): Failure | undefined {
    const rule = route.match?.rule;
    if (rule === undefined) return undefined;
    return (
      checkCrossTenant(route.segments, principal?.tenantDomain, rule) ??
      checkGrants({ permissions: rule.permissions, scopes: rule.scopes }, principal?.qualifiedUsername, settings.grants)
    );
  }

  return {
    validate(request, at) {
      const requestPath = normaliseRequestPath(request.context);
      if (!requestPath.ok) return decision(undefined, requestPath);
      const route: Route = {
        exempt: exemptContexts.match(requestPath.segments) !== undefined,
        segments: requestPath.segments,
        match: rules.enabled ? rules.match(requestPath.path, request.method) : undefined,
      };
      const early = decideBeforeCertificate(route);
      if (early !== undefined) return early;
      const chain = parseChain(request.chain);
      if (!Array.isArray(chain)) return decision(route, chain);
      const path = verifyPath(chain, settings.trust, { at, maxChainLength: settings.maxChainLength, allowSha1: settings.allowSha1, purpose: settings.purpose });
      if (!path.ok) return decision(route, path);
      const checkCn = settings.intermediateCnValidation.enable && !route.exempt;
      const principal = principalFor(path, checkCn, request.userHeader);
      if (principal !== undefined && "ok" in principal) return decision(route, principal, identityOf(path.leaf, undefined));
      const refused = authorize(route, principal);
      if (refused !== undefined) return decision(route, refused, identityOf(path.leaf, principal));
      const message = principal === undefined ? "chain verified; no user named" : `chain verified for ${principal.qualifiedUsername}`;
      return decision(route, { ok: true, message }, identityOf(path.leaf, principal));
    },
  };
}
