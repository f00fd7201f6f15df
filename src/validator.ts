// One decision from one request: parse -> resource rule -> verify path -> policy ->
// principal -> grants. Pure: time comes in as an argument; nothing here logs, reads
// files or talks gRPC.
import { createHash } from "node:crypto";
import { DecisionCache, chainKey, isCacheable, type CacheWindow } from "./decision-cache.ts";
import { LruCache } from "./lru-cache.ts";
import { decodeCertificate, type Certificate } from "./pki/certificate.ts";
import { decodeOcspResponse } from "./pki/ocsp.ts";
import { crlSignerSource } from "./pki/crl-signers.ts";
import type { Profile } from "./pki/profile.ts";
import { verifyPath, type Purpose, type VerifiedPath, type VerifyOptions } from "./pki/path.ts";
import { checkRevocation, type RevocationMode, type RevocationNeed, type RevocationOptions } from "./pki/revocation.ts";
import { RevocationStore } from "./pki/revocation-store.ts";
import { decodePemChain } from "./pki/pem.ts";
import type { TrustStore } from "./pki/trust-store.ts";
import { checkCrossTenant, tenantOfPath } from "./policy/cross-tenant.ts";
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
  /** Stapled OCSP responses (DER), for certificates of the chain. */
  readonly ocspResponses?: readonly Uint8Array[];
}

export interface ValidatorSettings {
  readonly trust: TrustStore;
  readonly maxChainLength: number;
  /** Larger presented certificates are refused before parsing (default 16 KiB). */
  readonly maxCertificateBytes?: number;
  /** Signature checks one path search may spend (default 32). */
  readonly maxPathChecks?: number;
  readonly allowSha1: boolean;
  /** The RFC 5280 profile (default "strict"). */
  readonly profile?: Profile;
  readonly purpose: Purpose;
  /** RFC 5280 user-initial-policy-set; absent or empty: anyPolicy. */
  readonly requiredPolicies?: readonly string[];
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
  /** [revocation]: what to check and where the CRLs and OCSP answers are kept. */
  readonly revocation?: { readonly mode: RevocationMode; readonly store: RevocationStore; readonly ocsp: boolean; readonly fetch: boolean };
  /** Decoded certificates kept between requests (keyed by DER SHA-256). */
  readonly certificateCacheSize?: number;
  /** Whole decisions ([cache]); maxEntries 0 turns the decision cache off. */
  readonly decisionCache?: { readonly maxEntries: number; readonly ttlSeconds: number };
  /** Told of every cache lookup, for metrics. */
  readonly onCacheLookup?: (cache: "certificate" | "decision", hit: boolean) => void;
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
  /** Revocation sources the edge should fetch before asking again; empty when the decision is final. */
  readonly revocationNeeds: readonly RevocationNeed[];
}

export interface Validator {
  validate(request: ValidationRequest, at: Date): Decision;
  /** Where fetched CRLs and OCSP answers go (flushed with the validator on reload). */
  readonly revocationStore: RevocationStore;
}

/** What is known about the request before the chain is looked at. */
interface Route {
  readonly exempt: boolean;
  readonly segments: readonly string[];
  readonly match: RuleMatch | undefined;
}

/** One shared empty list, so each cached decision does not carry its own. */
const NONE: readonly never[] = Object.freeze([]);

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
    requiredScopes: rule?.rule.scopes ?? NONE,
    revocationNeeds: NONE,
  };
}

/** A denial for input refused before it reached the validator (e.g. a malformed header). */
export function refusedInput(failure: Failure): Decision {
  return decision(undefined, failure);
}

function newIdentity(leaf: Certificate, principal: Principal | undefined): Identity {
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
const VERIFIED_SIGNATURES = 10_000;
const PEM_MEMO = 1_024;
const PATH_MEMO = 10_000;
const CLIENT_CERTIFICATE_HANDLER = "clientcertificate";

export function createValidator(settings: ValidatorSettings): Validator {
  const certificates = new LruCache<string, Certificate>(settings.certificateCacheSize ?? DEFAULT_CERTIFICATE_CACHE);
  const exemptContexts = compileExemptContexts(settings.intermediateCnValidation.exemptContexts);
  const allowList = compileIntermediateCnAllowList(settings.intermediateCnValidation.certCns);
  const rules = compileResourceRules(settings.resourceAccess?.rules ?? [], settings.resourceAccess?.defaultAccess ?? "deny");
  const cacheSettings = settings.decisionCache ?? { maxEntries: 100_000, ttlSeconds: 300 };
  const decisions = cacheSettings.maxEntries > 0 ? new DecisionCache<Decision>(cacheSettings.maxEntries, cacheSettings.ttlSeconds) : undefined;
  const signatures = new LruCache<string, true>(VERIFIED_SIGNATURES);
  const revocation = settings.revocation ?? { mode: "off" as const, store: new RevocationStore(), ocsp: false, fetch: false };
  const revocationStore = revocation.store;
  // Sidecars repeat the same PEM text and paths: decoding them once each is measurable.
  const pemChains = new LruCache<string, { ders: readonly Uint8Array[]; key: string } | Failure>(PEM_MEMO);
  const requestPaths = new LruCache<string, ReturnType<typeof normaliseRequestPath>>(PATH_MEMO);
  const chainKeys = new WeakMap<readonly Uint8Array[], string>();
  // Many cached decisions (one leaf in many chains, many paths) name the same client:
  // they share one Identity object instead of holding a copy each.
  const identities = new LruCache<string, Identity>(DEFAULT_CERTIFICATE_CACHE);
  function identityOf(leaf: Certificate, principal: Principal | undefined): Identity {
    const key = `${leaf.fingerprint}|${principal?.qualifiedUsername ?? ""}|${principal?.userStoreDomain ?? ""}`;
    let identity = identities.get(key);
    if (identity === undefined) {
      identity = newIdentity(leaf, principal);
      identities.set(key, identity);
    }
    return identity;
  }
  const verifiedSignatures = { has: (key: string) => signatures.get(key) !== undefined, add: (key: string) => signatures.set(key, true) };

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

  /** DER certificates and their chain hash; refuses empty and oversized chains before hashing. */
  function chainDers(chain: ChainInput): { ders: readonly Uint8Array[]; key: string } | Failure {
    if ("der" in chain) return checkedChain(chain.der);
    let memo = pemChains.get(chain.pem);
    if (memo === undefined) {
      const decoded = decodePemChain(chain.pem);
      memo = decoded.ok ? checkedChain(decoded.certificates) : decoded;
      pemChains.set(chain.pem, memo);
    }
    return memo;
  }

  function checkedChain(ders: readonly Uint8Array[]): { ders: readonly Uint8Array[]; key: string } | Failure {
    if (ders.length === 0) return fail("NO_CERTIFICATE", "no client certificate was presented");
    if (ders.length > settings.maxChainLength) {
      return fail("CHAIN_TOO_LONG", `${ders.length} certificates presented; max_chain_length is ${settings.maxChainLength}`);
    }
    // An edge that memoises its parsing (XFCC) hands over the same array again: hash it once.
    let key = chainKeys.get(ders);
    if (key === undefined) {
      key = chainKey(ders);
      chainKeys.set(ders, key);
    }
    return { ders, key };
  }

  function normalisedPath(raw: string): ReturnType<typeof normaliseRequestPath> {
    let path = requestPaths.get(raw);
    if (path === undefined) {
      path = normaliseRequestPath(raw);
      requestPaths.set(raw, path);
    }
    return path;
  }

  function decodeChain(ders: readonly Uint8Array[]): Certificate[] | Failure {
    const out: Certificate[] = [];
    const limit = settings.maxCertificateBytes ?? 16 * 1024;
    for (const [index, der] of ders.entries()) {
      if (der.length > limit) return fail("CERTIFICATE_TOO_LARGE", `certificate ${index} is ${der.length} bytes; server.max_certificate_bytes is ${limit}`, index);
      const certificate = decode(der, index);
      if ("ok" in certificate) return certificate;
      out.push(certificate);
    }
    return out;
  }

  /** Everything besides the chain that can change the answer. */
  function policyKey(route: Route, userHeader: string | undefined): string {
    return `${route.match?.index ?? -1}|${route.exempt ? 1 : 0}|${tenantOfPath(route.segments) ?? ""}|${userHeader ?? ""}`;
  }

  /** When a decision about this chain stays true: within every certificate's validity. */
  function windowOf(certificates: readonly Certificate[]): CacheWindow {
    return {
      from: Math.max(...certificates.map((c) => c.notBefore.getTime())),
      // Valid through the whole second of notAfter, as path validation counts it.
      until: Math.min(...certificates.map((c) => c.notAfter.getTime())) + 999,
    };
  }

  /** Decodes, verifies and applies policy; `window` is when the decision stays true. */
  function decideDers(route: Route, request: ValidationRequest, ders: readonly Uint8Array[], at: Date): { decision: Decision; window?: CacheWindow } {
    const chain = decodeChain(ders);
    if ("ok" in chain) return { decision: decision(route, chain) };
    const { decision: decided, path, until } = decideChain(route, request, chain, at);
    if (decided.revocationNeeds.length > 0) return { decision: decided };
    const window = windowOf(path);
    return { decision: decided, window: { from: window.from, until: Math.min(window.until, until ?? Infinity) } };
  }

  /** Revocation of every certificate of the path but the anchor, from the store; stapled answers first join it. */
  function revocationOf(path: VerifiedPath, chain: readonly Certificate[], request: ValidationRequest, at: Date): ReturnType<typeof checkRevocation> {
    for (const der of request.ocspResponses ?? []) {
      const response = decodeOcspResponse(der);
      if (typeof response !== "string") revocationStore.addOcspResponse(response);
    }
    const indexOf = (certificate: Certificate) => chain.findIndex((c) => c.fingerprint === certificate.fingerprint);
    const options: RevocationOptions = { mode: revocation.mode, at, ocsp: revocation.ocsp, fetchCrls: revocation.fetch, indexOf };
    const crlSigners = crlSignerSource({
      trust: settings.trust,
      presented: chain,
      verify: verifyOptions(at),
      // A CRL signer's own status is judged from held evidence only: its fetches are not waited for.
      notRevoked: (signerPath) => checkRevocation(signerPath, revocationStore, { ...options, ocsp: false, fetchCrls: false, crlSigners }).ok === true,
    });
    return checkRevocation(path, revocationStore, { ...options, crlSigners });
  }

  function verifyOptions(at: Date): VerifyOptions {
    return {
      at,
      maxChainLength: settings.maxChainLength,
      allowSha1: settings.allowSha1,
      profile: settings.profile ?? "strict",
      purpose: settings.purpose,
      requiredPolicies: settings.requiredPolicies ?? [],
      maxSignatureChecks: settings.maxPathChecks ?? 32,
      verifiedSignatures,
    };
  }

  function decideChain(route: Route, request: ValidationRequest, chain: Certificate[], at: Date): { decision: Decision; path: readonly Certificate[]; until?: number } {
    const path = verifyPath(chain, settings.trust, verifyOptions(at));
    if (!path.ok) return { decision: decision(route, path), path: chain.slice(0, 1) };
    const revoked = revocationOf(path, chain, request, at);
    if (revoked.ok === "fetch") {
      const pending = decision(route, fail("REVOCATION_UNKNOWN", "revocation status has to be fetched"));
      return { decision: { ...pending, revocationNeeds: revoked.needs }, path: [] };
    }
    if (!revoked.ok) return { decision: decision(route, revoked, identityOf(path.leaf, undefined)), path: path.path };
    const answer = decideVerified(route, request, path);
    return { ...answer, until: revoked.until };
  }

  function decideVerified(route: Route, request: ValidationRequest, path: VerifiedPath): { decision: Decision; path: readonly Certificate[] } {
    const checkCn = settings.intermediateCnValidation.enable && !route.exempt;
    const principal = principalFor(path, checkCn, request.userHeader);
    if (principal !== undefined && "ok" in principal) return { decision: decision(route, principal, identityOf(path.leaf, undefined)), path: path.path };
    const refused = authorize(route, principal);
    if (refused !== undefined) return { decision: decision(route, refused, identityOf(path.leaf, principal)), path: path.path };
    const message = principal === undefined ? "chain verified; no user named" : `chain verified for ${principal.qualifiedUsername}`;
    return { decision: decision(route, { ok: true, message }, identityOf(path.leaf, principal)), path: path.path };
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
    revocationStore,
    validate(request, at) {
      const requestPath = normalisedPath(request.context);
      if (!requestPath.ok) return decision(undefined, requestPath);
      const route: Route = {
        exempt: exemptContexts.match(requestPath.segments) !== undefined,
        segments: requestPath.segments,
        match: rules.enabled ? rules.match(requestPath.path, request.method) : undefined,
      };
      const early = decideBeforeCertificate(route);
      if (early !== undefined) return early;
      const chain = chainDers(request.chain);
      if ("ok" in chain) return decision(route, chain);
      // A stapled OCSP answer is evidence the cached decision did not see: decide afresh.
      if (decisions === undefined || (request.ocspResponses?.length ?? 0) > 0) return decideDers(route, request, chain.ders, at).decision;
      const key = `${chain.key}|${policyKey(route, request.userHeader)}|${revocationStore.epoch}`;
      const cached = decisions.get(key, at.getTime());
      settings.onCacheLookup?.("decision", cached !== undefined);
      if (cached !== undefined) return cached;
      const decided = decideDers(route, request, chain.ders, at);
      if (decided.window !== undefined && isCacheable(decided.decision.reason)) decisions.set(key, decided.decision, at.getTime(), decided.window);
      return decided.decision;
    },
  };
}
