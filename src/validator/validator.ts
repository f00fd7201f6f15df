// One decision from one request: route -> chain -> verify path -> revocation ->
// principal -> access, each stage a function over the validator's state, read top to
// bottom in `validate`. Pure: time comes in as an argument; nothing here logs, reads
// files or talks gRPC.
import { hash } from "node:crypto";
import { DecisionCache, chainKey, isCacheable, type CacheWindow } from "./decision-cache.ts";
import { LruCache } from "../lru-cache.ts";
import { decodeCertificate, type Certificate } from "../pki/certificate/certificate.ts";
import { decodeOcspResponse } from "../pki/revocation/ocsp.ts";
import { crlSignerSource } from "../pki/revocation/crl-signers.ts";
import { DEFAULT_PROFILE, type Nonconformance, type Profile } from "../pki/path/profile.ts";
import { verifyPath } from "../pki/path/build.ts";
import type { Purpose, VerifiedPath, VerifiedSignatures, VerifyOptions } from "../pki/path/validate.ts";
import { checkRevocation, type RevocationMode, type RevocationNeed, type RevocationOptions, type RevocationResult } from "../pki/revocation/check.ts";
import { RevocationStore } from "../pki/revocation/store.ts";
import { decodePemChain } from "../pki/pem.ts";
import type { TrustStore } from "../pki/path/trust-store.ts";
import type { SpiffeId } from "../pki/spiffe/spiffe-id.ts";
import { checkSvid, uriNames } from "../pki/spiffe/svid.ts";
import { checkCrossTenant, tenantOfPath } from "../policy/cross-tenant.ts";
import { compileExemptContexts } from "../policy/exempt-context.ts";
import { checkGrants, type GrantSource } from "../policy/grants.ts";
import { compileIntermediateCnAllowList } from "../policy/intermediate-cn.ts";
import { normaliseRequestPath } from "../policy/request-path.ts";
import { compilePrincipalPatterns } from "../policy/principal-patterns.ts";
import { compileResourceRules, type ResourceRule, type RuleMatch } from "../policy/resource-rules.ts";
import { principalFromCommonNames, principalFromName, type Principal, type PrincipalOptions } from "../principal/principal.ts";
import { compileSanMappings, type MappingRule, type SanMappings, type SanSource } from "../principal/san-mapping.ts";
import { mapCertificateToUser, type ThumbprintMappings } from "../principal/thumbprint-mapping.ts";
import { fail, httpStatusFor, type Failure, type Reason } from "../reason.ts";
import { Tracer, hintFor, type Explanation } from "./explanation.ts";

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

export interface ValidatorSettings {
  readonly trust: TrustStore;
  readonly maxChainLength: number;
  /** Larger presented certificates are refused before parsing (default 16 KiB). */
  readonly maxCertificateBytes?: number;
  /** Signature checks one path search may spend (default 32). */
  readonly maxPathChecks?: number;
  readonly allowSha1: boolean;
  /** The RFC 5280 profile (default "rfc5280": nonconformance reported; "strict": refused). */
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
  /** [principal] source naming a SAN, and its mappings; absent: the CN names the principal (WSO2). */
  readonly principalMapping?: { readonly source: SanSource; readonly mappings: readonly MappingRule[] };
  /**
   * [[trust_domain]]: the anchors of each SPIFFE trust domain. An SVID verifies only
   * to its own domain's anchors; with domains configured, any other leaf only to `trust`.
   */
  readonly trustDomains?: ReadonlyMap<string, TrustStore>;
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
  /** Present when the request asked for an explanation. */
  readonly explanation?: Explanation;
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
interface Route {
  readonly exempt: boolean;
  readonly segments: readonly string[];
  readonly match: RuleMatch | undefined;
}

/** One shared empty list, so each cached decision does not carry its own. */
const NONE: readonly never[] = Object.freeze([]);

function decision(route: Route | undefined, outcome: Failure | { ok: true; message: string }, identity?: Identity, warnings: readonly Nonconformance[] = NONE): Decision {
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
    warnings,
  };
}

/** A denial for input refused before it reached the validator (e.g. a malformed header). */
export function refusedInput(failure: Failure): Decision {
  return decision(undefined, failure);
}

function newIdentity(leaf: Certificate, principal: Principal | undefined, spiffeId: SpiffeId | undefined): Identity {
  return {
    principal,
    subject: leaf.subject.text,
    issuer: leaf.issuer.text,
    serialNumber: leaf.serialNumber,
    fingerprint: leaf.fingerprint,
    notAfter: leaf.notAfter,
    spiffeId: spiffeId?.text,
  };
}

const DEFAULT_CERTIFICATE_CACHE = 10_000;
const VERIFIED_SIGNATURES = 10_000;
const PEM_MEMO = 1_024;
const PATH_MEMO = 10_000;
const CLIENT_CERTIFICATE_HANDLER = "clientcertificate";

type Compiled<T extends (...args: never[]) => unknown> = ReturnType<T>;

/** Everything a validator holds between requests: its settings compiled once, and its caches. */
interface State {
  readonly settings: ValidatorSettings;
  readonly exemptContexts: Compiled<typeof compileExemptContexts>;
  readonly allowList: Compiled<typeof compileIntermediateCnAllowList>;
  readonly rules: Compiled<typeof compileResourceRules>;
  /** Each rule's trust_domains and principals, by rule index (undefined: the rule admits anyone). */
  readonly rulePrincipals: readonly (Compiled<typeof compilePrincipalPatterns> | undefined)[];
  /** SVIDs are recognised and sent to their trust domain: [[trust_domain]] configured, or source = "uri_san". */
  readonly spiffe: boolean;
  readonly sanMappings: SanMappings | undefined;
  readonly revocation: { readonly mode: RevocationMode; readonly store: RevocationStore; readonly ocsp: boolean; readonly fetch: boolean };
  readonly decisions: DecisionCache<Decision> | undefined;
  /** Decoded certificates by DER SHA-256. */
  readonly certificates: LruCache<string, Certificate>;
  readonly verifiedSignatures: VerifiedSignatures;
  /** Sidecars repeat the same PEM text and paths: decoding them once each is measurable. */
  readonly pemChains: LruCache<string, ChainBytes | Failure>;
  readonly requestPaths: LruCache<string, ReturnType<typeof normaliseRequestPath>>;
  /** An edge that memoises its parsing (XFCC) hands over the same array again: hash it once. */
  readonly chainKeys: WeakMap<readonly Uint8Array[], string>;
  /** Many cached decisions (one leaf in many chains, many paths) share one Identity per client... */
  readonly identities: LruCache<string, Identity>;
  /** ...and one Decision per distinct answer. */
  readonly decisionObjects: LruCache<string, Decision>;
}

/** The presented chain as DER, and its hash (the decision cache's key). */
interface ChainBytes {
  readonly ders: readonly Uint8Array[];
  readonly key: string;
}

/** A decision, and when it stays true (absent: not cacheable). */
interface Decided {
  readonly decision: Decision;
  readonly window?: CacheWindow;
}

function sanMappingsOf(settings: ValidatorSettings): SanMappings | undefined {
  const mapping = settings.principalMapping;
  if (mapping === undefined) return undefined;
  const compiled = compileSanMappings(mapping.source, mapping.mappings);
  // The config reader reports these with their keys; reaching here is a programmer error.
  if ("problems" in compiled) throw new Error(`invalid principal mappings: ${compiled.problems.join("; ")}`);
  return compiled;
}

function newState(settings: ValidatorSettings): State {
  const cache = settings.decisionCache ?? { maxEntries: 100_000, ttlSeconds: 300 };
  const signatures = new LruCache<string, true>(VERIFIED_SIGNATURES);
  const rules = settings.resourceAccess?.rules ?? [];
  return {
    settings,
    rulePrincipals: rules.map((rule) => compilePrincipalPatterns(rule.trustDomains, rule.principals)),
    spiffe: (settings.trustDomains?.size ?? 0) > 0 || settings.principalMapping?.source === "uri_san",
    sanMappings: sanMappingsOf(settings),
    exemptContexts: compileExemptContexts(settings.intermediateCnValidation.exemptContexts),
    allowList: compileIntermediateCnAllowList(settings.intermediateCnValidation.certCns),
    rules: compileResourceRules(rules, settings.resourceAccess?.defaultAccess ?? "deny"),
    revocation: settings.revocation ?? { mode: "off", store: new RevocationStore(), ocsp: false, fetch: false },
    decisions: cache.maxEntries > 0 ? new DecisionCache<Decision>(cache.maxEntries, cache.ttlSeconds) : undefined,
    certificates: new LruCache(settings.certificateCacheSize ?? DEFAULT_CERTIFICATE_CACHE),
    verifiedSignatures: { has: (key) => signatures.get(key) !== undefined, add: (key) => signatures.set(key, true) },
    pemChains: new LruCache(PEM_MEMO),
    requestPaths: new LruCache(PATH_MEMO),
    chainKeys: new WeakMap(),
    identities: new LruCache(DEFAULT_CERTIFICATE_CACHE),
    decisionObjects: new LruCache(DEFAULT_CERTIFICATE_CACHE),
  };
}

export function createValidator(settings: ValidatorSettings): Validator {
  const state = newState(settings);
  return {
    revocationStore: state.revocation.store,
    validate: (request, at, options) => (options?.explain === true ? explained(state, request, at) : validate(state, request, at)),
  };
}

/** The decision for one request: from the cache when it holds one, decided and cached otherwise. */
function validate(state: State, request: ValidationRequest, at: Date, tracer?: Tracer): Decision {
  const route = routeOf(state, request, tracer);
  if ("ok" in route) return decision(undefined, route);
  const early = decideBeforeCertificate(state, route);
  if (early !== undefined) return early;
  const chain = chainOf(state, request.chain);
  if ("ok" in chain) return decision(route, chain);
  // A stapled OCSP answer is evidence a cached decision did not see; an explained one is traced afresh.
  const decisions = state.decisions;
  if (decisions === undefined || tracer !== undefined || (request.ocspResponses?.length ?? 0) > 0) return decide(state, route, request, chain.ders, at, tracer).decision;
  // join() builds one flat string: a template literal would keep a rope of parts alive per cached entry.
  const key = [chain.key, policyKey(route, request), state.revocation.store.epoch].join("|");
  const cached = decisions.get(key, at.getTime());
  state.settings.onCacheLookup?.("decision", cached !== undefined);
  if (cached !== undefined) return cached;
  const decided = decide(state, route, request, chain.ders, at);
  if (decided.window === undefined || !isCacheable(decided.decision.reason)) return decided.decision;
  const kept = shared(state, decided.decision);
  decisions.set(key, kept, at.getTime(), decided.window);
  return kept;
}

/** The same decision, with every step traced, the path summarised and a hint on a refusal. */
function explained(state: State, request: ValidationRequest, at: Date): Decision {
  const tracer = new Tracer();
  const answer = validate(state, request, at, tracer);
  tracer.add("decision", answer.reason, answer.allowed ? { ok: true, detail: answer.message } : fail(answer.reason as Exclude<Reason, "OK">, answer.message, answer.certIndex));
  const hint = answer.allowed ? undefined : hintFor(fail(answer.reason as Exclude<Reason, "OK">, answer.message, answer.certIndex), { certCns: state.settings.intermediateCnValidation.certCns, issuer: tracer.path[1]?.subject });
  return { ...answer, explanation: { steps: tracer.steps, path: tracer.path, pathVerified: tracer.pathVerified, hint } };
}

/** Stage 1: the request path, its exempt context and resource rule. */
function routeOf(state: State, request: ValidationRequest, tracer: Tracer | undefined): Route | Failure {
  let requestPath = state.requestPaths.get(request.context);
  if (requestPath === undefined) {
    requestPath = normaliseRequestPath(request.context);
    state.requestPaths.set(request.context, requestPath);
  }
  if (!requestPath.ok) {
    tracer?.add("route", `request path ${JSON.stringify(request.context)}`, requestPath);
    return requestPath;
  }
  const exempt = state.exemptContexts.match(requestPath.segments);
  const match = state.rules.enabled ? state.rules.match(requestPath.path, request.method) : undefined;
  if (tracer !== undefined) {
    tracer.add("route", "request path", { ok: true, detail: `${request.method} ${requestPath.path}` });
    tracer.add("policy", "exempt context", { ok: true, detail: exempt === undefined ? "no intermediate_cert_validation.exempt_contexts entry matches" : `matches exempt context ${JSON.stringify(exempt)}` });
    if (state.rules.enabled) tracer.add("access", "resource rule", { ok: true, detail: match === undefined ? "no [[resource.access_control]] rule matches" : `rule ${match.index} ${JSON.stringify(match.rule.context)} (${match.rule.httpMethod}) matches` });
  }
  return { exempt: exempt !== undefined, segments: requestPath.segments, match };
}

/** Stage 2: rules that settle the request before any certificate is read; undefined: a certificate is needed. */
function decideBeforeCertificate(state: State, route: Route): Decision | undefined {
  const { rules } = state;
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

/** Stage 3: the presented chain as DER and its hash; empty and oversized chains are refused before hashing. */
function chainOf(state: State, input: ChainInput): ChainBytes | Failure {
  if ("der" in input) return checkedChain(state, input.der);
  let memo = state.pemChains.get(input.pem);
  if (memo === undefined) {
    const decoded = decodePemChain(input.pem);
    memo = decoded.ok ? checkedChain(state, decoded.certificates) : decoded;
    state.pemChains.set(input.pem, memo);
  }
  return memo;
}

function checkedChain(state: State, ders: readonly Uint8Array[]): ChainBytes | Failure {
  if (ders.length === 0) return fail("NO_CERTIFICATE", "no client certificate was presented");
  const limit = state.settings.maxChainLength;
  if (ders.length > limit) return fail("CHAIN_TOO_LONG", `${ders.length} certificates presented; max_chain_length is ${limit}`);
  let key = state.chainKeys.get(ders);
  if (key === undefined) {
    key = chainKey(ders);
    state.chainKeys.set(ders, key);
  }
  return { ders, key };
}

/** Stages 4 to 7 for a chain the cache did not answer: decode, verify, revocation, principal, access. */
function decide(state: State, route: Route, request: ValidationRequest, ders: readonly Uint8Array[], at: Date, tracer?: Tracer): Decided {
  const decoded = decodeChain(state, ders, tracer);
  if (!decoded.ok) return { decision: decision(route, decoded) };
  const { chain, leaf } = decoded;
  // A refusal that depends only on the chain is refused the same way until its leaf expires: cached like any answer.
  const leafWindow = windowOf([leaf]);
  const anchoring = anchoringOf(state, leaf, tracer);
  if ("ok" in anchoring) return { decision: decision(route, anchoring), window: leafWindow };
  const { trust, spiffeId } = anchoring;
  const path = verifyPath(chain, trust, { ...verifyOptions(state, at), ...(tracer === undefined ? {} : { observe: tracer }) });
  if (tracer !== undefined) tracer.pathVerified = path.ok;
  if (!path.ok) {
    const known = chain.filter((certificate) => certificate !== undefined);
    if (tracer !== undefined && path.reason === "PATH_NOT_FOUND") traceNameMismatches(trust, known, tracer);
    // With no path, an undecodable presented certificate (perhaps the missing issuer) is the clearer answer.
    if (path.reason === "PATH_NOT_FOUND" && decoded.undecodable !== undefined) return { decision: decision(route, decoded.undecodable) };
    const refused = spiffeId !== undefined && path.reason === "PATH_NOT_FOUND" ? outsideTrustDomain(state, spiffeId, known, path.message) : path;
    return { decision: decision(route, refused), window: leafWindow };
  }
  const revoked = revocationOf(state, trust, path, chain, request, at, tracer);
  if (revoked.ok === "fetch") {
    const pending = decision(route, fail("REVOCATION_UNKNOWN", "revocation status has to be fetched"));
    return { decision: { ...pending, revocationNeeds: revoked.needs } };
  }
  if (!revoked.ok) return { decision: decision(route, revoked, identityOf(state, path.leaf, undefined, spiffeId)), window: windowOf(path.path) };
  const warnings = revoked.warnings.length === 0 ? path.nonconformance : [...path.nonconformance, ...revoked.warnings];
  const answer = decideVerified(state, route, request, path, spiffeId, warnings.length === 0 ? NONE : warnings, tracer);
  const window = windowOf(path.path);
  return { decision: answer, window: { from: window.from, until: Math.min(window.until, revoked.until) } };
}

const MAX_LISTED_ANCHORS = 20;

/** Which anchors the leaf must chain to, and its SPIFFE ID when it is an X.509-SVID. */
interface Anchoring {
  readonly trust: TrustStore;
  readonly spiffeId: SpiffeId | undefined;
}

/**
 * Stage 4b: with SPIFFE handling on, an SVID is checked against the X.509-SVID rules
 * and sent to its own trust domain's anchors (spiffe/spiffe#375: a pooled bundle
 * would let any domain's CA mint another's IDs); any other leaf to truststore.ca_files.
 */
function anchoringOf(state: State, leaf: Certificate, tracer: Tracer | undefined): Anchoring | Failure {
  const { trust, trustDomains } = state.settings;
  if (!state.spiffe) return { trust, spiffeId: undefined };
  const svid = checkSvid(leaf);
  if (!svid.ok || svid.id === undefined) {
    tracer?.add("check", "X.509-SVID rules", svid.ok ? { ok: true, detail: "the leaf has no spiffe URI SAN: not an SVID; truststore.ca_files anchors" } : svid, 0);
    return svid.ok ? { trust, spiffeId: undefined } : svid;
  }
  const { id } = svid;
  const domain = trustDomains?.get(id.trustDomain);
  if (domain === undefined) {
    return fail("TRUST_DOMAIN_MISMATCH", `${id.text} names trust domain ${id.trustDomain}, which is not configured (no [[trust_domain]] named ${JSON.stringify(id.trustDomain)})`, 0);
  }
  tracer?.add("check", "X.509-SVID rules", { ok: true, detail: `${id.text}: only trust domain ${id.trustDomain}'s ${domain.anchors.length} anchor(s) may end its path` }, 0);
  return { trust: domain, spiffeId: id };
}

/** An SVID whose path does not reach its own domain's anchors; names the domain it does lead to, when one is evident. */
function outsideTrustDomain(state: State, id: SpiffeId, chain: readonly Certificate[], why: string): Failure {
  const { trust, trustDomains } = state.settings;
  const others: [string, TrustStore][] = [...(trustDomains ?? new Map<string, TrustStore>())].filter(([name]) => name !== id.trustDomain);
  others.push(["(truststore.ca_files)", trust]);
  const issuers = chain.map((certificate) => certificate.issuer.key);
  const elsewhere = others.find(([, store]) => issuers.some((issuer) => store.anchorsNamed(issuer).length > 0));
  const lead = elsewhere === undefined ? "" : `; it is issued under an anchor of ${elsewhere[0].startsWith("(") ? elsewhere[0] : `trust domain ${elsewhere[0]}`}`;
  return fail("TRUST_DOMAIN_MISMATCH", `${id.text} names trust domain ${id.trustDomain}, but its chain does not lead to a ${id.trustDomain} anchor${lead} (${why})`, 0);
}

/** For an explained PATH_NOT_FOUND: the trust anchors whose name is not the issuer any presented certificate names. */
function traceNameMismatches(trust: TrustStore, chain: readonly Certificate[], tracer: Tracer): void {
  const wanted = new Set(chain.map((certificate) => certificate.issuer.key));
  for (const anchor of trust.anchors.slice(0, MAX_LISTED_ANCHORS)) {
    if (wanted.has(anchor.subject.key)) continue;
    const issuers = [...new Set(chain.map((certificate) => `"${certificate.issuer.text}"`))].join(", ");
    tracer.add("path", `trust anchor "${anchor.subject.text}"`, fail("PATH_NOT_FOUND", `name mismatch: no presented certificate names it as issuer (they name ${issuers})`));
  }
}

/** The presented chain decoded: the leaf, and the rest with gaps where a certificate did not decode. */
interface DecodedChain {
  readonly ok: true;
  readonly leaf: Certificate;
  readonly chain: readonly (Certificate | undefined)[];
  /** The first certificate after the leaf that did not decode; it only matters if no path is found without it. */
  readonly undecodable: Failure | undefined;
}

/**
 * Stage 4: each DER certificate decoded once, kept by fingerprint. The leaf must
 * decode; an extra certificate that does not (a malformed cross-certificate in the
 * bundle) is left out of the path search rather than refusing a path that does not need it.
 */
function decodeChain(state: State, ders: readonly Uint8Array[], tracer: Tracer | undefined): DecodedChain | Failure {
  const chain: (Certificate | undefined)[] = [];
  let undecodable: Failure | undefined;
  const limit = state.settings.maxCertificateBytes ?? 16 * 1024;
  for (const [index, der] of ders.entries()) {
    if (der.length > limit) return fail("CERTIFICATE_TOO_LARGE", `certificate ${index} is ${der.length} bytes; server.max_certificate_bytes is ${limit}`, index);
    const certificate = decodeOne(state, der, index);
    tracer?.add("input", `certificate ${index} decodes`, "ok" in certificate ? certificate : { ok: true, detail: `"${certificate.subject.text}" issued by "${certificate.issuer.text}"` }, index);
    if ("ok" in certificate && index === 0) return certificate;
    if ("ok" in certificate) undecodable ??= certificate;
    chain.push("ok" in certificate ? undefined : certificate);
  }
  return { ok: true, leaf: chain[0]!, chain, undecodable };
}

function decodeOne(state: State, der: Uint8Array, index: number): Certificate | Failure {
  const fingerprint = hash("sha256", der, "hex");
  const cached = state.certificates.get(fingerprint);
  state.settings.onCacheLookup?.("certificate", cached !== undefined);
  if (cached !== undefined) return cached;
  const decoded = decodeCertificate(der, index, fingerprint);
  if (!decoded.ok) return decoded;
  state.certificates.set(fingerprint, decoded.certificate);
  return decoded.certificate;
}

/** Stage 5's inputs: what verifyPath is told, from the settings. */
function verifyOptions(state: State, at: Date): VerifyOptions {
  const { settings } = state;
  return {
    at,
    maxChainLength: settings.maxChainLength,
    allowSha1: settings.allowSha1,
    profile: settings.profile ?? DEFAULT_PROFILE,
    purpose: settings.purpose,
    requiredPolicies: settings.requiredPolicies ?? [],
    maxSignatureChecks: settings.maxPathChecks ?? 32,
    verifiedSignatures: state.verifiedSignatures,
  };
}

/** Stage 6: revocation of every certificate of the path but the anchor, from the store; stapled answers first join it. */
function revocationOf(state: State, trust: TrustStore, path: VerifiedPath, chain: readonly (Certificate | undefined)[], request: ValidationRequest, at: Date, tracer: Tracer | undefined): RevocationResult {
  const { store, mode } = state.revocation;
  for (const der of request.ocspResponses ?? []) {
    const response = decodeOcspResponse(der);
    if (typeof response !== "string") store.addOcspResponse(response);
  }
  const indexOf = (certificate: Certificate) => chain.findIndex((c) => c?.fingerprint === certificate.fingerprint);
  const evidence = tracer === undefined ? {} : { evidence: (certificate: Certificate, ok: boolean, detail: string) => tracer.add("revocation", `status of "${certificate.subject.text}"`, ok ? { ok, detail } : fail("REVOKED", detail, indexOf(certificate)), indexOf(certificate)) };
  const profile = state.settings.profile ?? DEFAULT_PROFILE;
  const options: RevocationOptions = { mode, at, ocsp: state.revocation.ocsp, fetchCrls: state.revocation.fetch, indexOf, profile, ...evidence };
  const crlSigners = crlSignerSource({
    trust,
    presented: chain.filter((certificate) => certificate !== undefined),
    verify: verifyOptions(state, at),
    // A CRL signer's own status is judged from held evidence only: its fetches are not waited for.
    notRevoked: (signerPath) => checkRevocation(signerPath, store, { mode, at, ocsp: false, fetchCrls: false, indexOf, profile, crlSigners }).ok === true,
  });
  const result = checkRevocation(path, store, { ...options, crlSigners });
  if (tracer !== undefined && result.ok !== "fetch") tracer.add("revocation", `revocation (mode ${mode})`, result.ok ? { ok: true, detail: mode === "off" ? "not checked" : "no certificate of the path is revoked" } : result);
  return result;
}

/** Stage 7: the principal and the access rules, on a verified, unrevoked path; `warnings` go with any answer. */
function decideVerified(state: State, route: Route, request: ValidationRequest, path: VerifiedPath, spiffeId: SpiffeId | undefined, warnings: readonly Nonconformance[], tracer: Tracer | undefined): Decision {
  const peer = request.peerPrincipal;
  if (spiffeId !== undefined && peer !== undefined && peer !== "" && peer !== spiffeId.text) {
    // The proxy authenticated someone else than the certificate it forwarded: believe neither.
    const refused = fail("TRUST_DOMAIN_MISMATCH", `the proxy names the peer ${JSON.stringify(peer)}, but the verified certificate is ${spiffeId.text}`, 0);
    tracer?.add("policy", "peer principal", refused, 0);
    return decision(route, refused, identityOf(state, path.leaf, undefined, spiffeId), warnings);
  }
  const checkCn = state.settings.intermediateCnValidation.enable && !route.exempt;
  const principal = principalFor(state, path, checkCn, request.userHeader, tracer);
  if (principal !== undefined && "ok" in principal) return decision(route, principal, identityOf(state, path.leaf, undefined, spiffeId), warnings);
  const refused = authorize(state, route, principal, spiffeId);
  tracer?.add("access", "principals, tenant and grants", refused ?? { ok: true, detail: route.match === undefined ? "no rule applies" : "the matched rule allows it" });
  if (refused !== undefined) return decision(route, refused, identityOf(state, path.leaf, principal, spiffeId), warnings);
  const named = principal?.qualifiedUsername ?? spiffeId?.text;
  const message = named === undefined ? "chain verified; no user named" : `chain verified for ${named}`;
  return decision(route, { ok: true, message }, identityOf(state, path.leaf, principal, spiffeId), warnings);
}

/** The issuing CA's CN against intermediate_cert_validation.cert_cns; undefined: allowed. */
function checkIssuerCn(state: State, path: VerifiedPath, tracer: Tracer | undefined): Failure | undefined {
  const issuer = path.issuer.subject;
  const refused = state.allowList.check({ commonNames: issuer.commonNames, name: issuer.text, certIndex: path.issuerIndex });
  tracer?.add("policy", "intermediate CN allow-list", refused ?? { ok: true, detail: `issuing CA CN ${JSON.stringify(issuer.commonNames[0] ?? "")} is in intermediate_cert_validation.cert_cns` }, path.issuerIndex);
  return refused;
}

/** The leaf's SAN values of the mapped source's form, in certificate order. */
function sanValues(leaf: Certificate, source: SanSource): string[] {
  if (source === "uri_san") return uriNames(leaf);
  const type = source === "email_san" ? "email" : "dns";
  return leaf.subjectAltNames.flatMap((name) => (name.type === type ? [name.value] : []));
}

/**
 * With a SAN source the mapping always names the principal (a workload identity is not
 * a proxy for an asserted user); the CN allow-list still applies to the issuer.
 */
function principalFromSan(state: State, mappings: SanMappings, path: VerifiedPath, checkCn: boolean, tracer: Tracer | undefined): Principal | Failure {
  const refused = checkCn ? checkIssuerCn(state, path, tracer) : undefined;
  if (refused !== undefined) return refused;
  const values = sanValues(path.leaf, mappings.source);
  const mapped = mappings.map(values);
  if (mapped === undefined) {
    const why = values.length === 0 ? `the leaf has no ${mappings.source.replace("_san", "").toUpperCase()} SAN` : `no [[principal.mapping]] matches ${values.map((value) => JSON.stringify(value)).join(", ")}`;
    const failure = fail("NO_PRINCIPAL_MAPPING", `${why} (principal.source = "${mappings.source}")`, 0);
    tracer?.add("principal", "principal mapping", failure, 0);
    return failure;
  }
  const result = principalFromName(mapped.name, state.settings.principal, 0);
  tracer?.add("principal", "principal mapping", result.ok ? { ok: true, detail: `${JSON.stringify(mapped.value)} matches principal.mapping[${mapped.index}] -> ${result.principal.qualifiedUsername}` } : result, 0);
  return result.ok ? result.principal : result;
}

/** The CN check, or the asserted user where the CN check does not apply; or the SAN mapping. */
function principalFor(state: State, path: VerifiedPath, checkCn: boolean, userHeader: string | undefined, tracer: Tracer | undefined): Principal | undefined | Failure {
  const { settings } = state;
  if (state.sanMappings !== undefined) return principalFromSan(state, state.sanMappings, path, checkCn, tracer);
  if (checkCn) {
    const refused = checkIssuerCn(state, path, tracer);
    if (refused !== undefined) return refused;
    const result = principalFromCommonNames(path.leaf.subject.commonNames, settings.principal);
    tracer?.add("principal", "principal from the leaf CN", result.ok ? { ok: true, detail: `CN ${JSON.stringify(path.leaf.subject.commonNames[0] ?? "")} -> ${result.principal.qualifiedUsername}` } : result, 0);
    return result.ok ? result.principal : result;
  }
  tracer?.add("policy", "intermediate CN allow-list", { ok: true, detail: settings.intermediateCnValidation.enable ? "not applied in an exempt context" : "intermediate_cert_validation is off" });
  const user = assertedUser(state, path, userHeader);
  if (user === undefined || typeof user !== "string") {
    tracer?.add("principal", "asserted user", user ?? { ok: true, detail: "no user named: the client is authenticated, no principal" });
    return user;
  }
  const result = principalFromName(user, settings.principal);
  tracer?.add("principal", "asserted user", result.ok ? { ok: true, detail: `${JSON.stringify(user)} -> ${result.principal.qualifiedUsername}` } : result);
  return result.ok ? result.principal : result;
}

/** The user named by the asserted-user header, or by a certificate mapping. */
function assertedUser(state: State, path: VerifiedPath, userHeader: string | undefined): string | undefined | Failure {
  const mappings = state.settings.thumbprintMappings;
  if (mappings === undefined) return userHeader === "" ? undefined : userHeader;
  const mapped = mapCertificateToUser(mappings, { issuerUnorderedKey: path.leaf.issuer.unorderedKey, fingerprint: path.leaf.fingerprint }, userHeader);
  return mapped.ok ? mapped.username : mapped;
}

/** The matched rule's principals, cross-tenant and grant checks. */
function authorize(state: State, route: Route, principal: Principal | undefined, spiffeId: SpiffeId | undefined): Failure | undefined {
  const rule = route.match?.rule;
  if (rule === undefined) return undefined;
  const admits = state.rulePrincipals[route.match!.index];
  return (
    admits?.check({ spiffeId: spiffeId?.text, trustDomain: spiffeId?.trustDomain, qualifiedUsername: principal?.qualifiedUsername }) ??
    checkCrossTenant(route.segments, principal?.tenantDomain, rule) ??
    checkGrants({ permissions: rule.permissions, scopes: rule.scopes }, principal?.qualifiedUsername, state.settings.grants)
  );
}

/** One object per distinct answer: many chains (a client with other extra certificates, other paths) share it in the cache. */
function shared(state: State, decided: Decision): Decision {
  const rule = decided.matchedRule?.index ?? -1;
  const warned = decided.warnings.map((warning) => warning.fingerprint + warning.rule).join(",");
  const key = [decided.reason, decided.certIndex, decided.exempt ? 1 : 0, rule, decided.identity?.fingerprint ?? "", decided.identity?.principal?.qualifiedUsername ?? "", decided.message, warned].join("|");
  const known = state.decisionObjects.get(key);
  if (known !== undefined && known.identity === decided.identity) return known;
  state.decisionObjects.set(key, decided);
  return decided;
}

function identityOf(state: State, leaf: Certificate, principal: Principal | undefined, spiffeId: SpiffeId | undefined): Identity {
  // The SPIFFE ID is the leaf's own (fingerprint), whenever SPIFFE handling is on.
  const key = [leaf.fingerprint, principal?.qualifiedUsername ?? "", principal?.userStoreDomain ?? "", spiffeId === undefined ? 0 : 1].join("|");
  let identity = state.identities.get(key);
  if (identity === undefined) {
    identity = newIdentity(leaf, principal, spiffeId);
    state.identities.set(key, identity);
  }
  return identity;
}

/** Everything besides the chain that can change the answer. */
function policyKey(route: Route, request: ValidationRequest): string {
  return `${route.match?.index ?? -1}|${route.exempt ? 1 : 0}|${tenantOfPath(route.segments) ?? ""}|${request.userHeader ?? ""}|${request.peerPrincipal ?? ""}`;
}

/** When a decision about this chain stays true: within every certificate's validity. */
function windowOf(certificates: readonly Certificate[]): CacheWindow {
  return {
    from: Math.max(...certificates.map((c) => c.notBefore.getTime())),
    // Valid through the whole second of notAfter, as path validation counts it.
    until: Math.min(...certificates.map((c) => c.notAfter.getTime())) + 999,
  };
}
