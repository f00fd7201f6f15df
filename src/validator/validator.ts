// One decision from one request, read top to bottom: route -> chain -> decode ->
// anchoring -> path -> revocation -> issuing CA's CN -> principal -> access. Each stage
// is a function returning `{ ok: true, ... } | Failure`; this file calls them in order,
// hands each result to the tracer when the request asked for an explanation, and
// turns the first refusal (or the last success) into the decision. Pure: time comes
// in as an argument; nothing here logs, reads files or talks gRPC.
import type { Certificate } from "../pki/certificate/certificate.ts";
import { verifyPath } from "../pki/path/build.ts";
import type { PathResult, VerifiedPath } from "../pki/path/validate.ts";
import type { Nonconformance } from "../pki/path/profile.ts";
import { checkPathRevocation, type RevocationNeed, type Unavailable } from "../pki/revocation/check.ts";
import { decodeOcspResponse } from "../pki/revocation/ocsp.ts";
import { anchoringOf, outsideTrustDomain, type Anchoring } from "../pki/spiffe/anchoring.ts";
import type { SpiffeId } from "../pki/spiffe/spiffe-id.ts";
import { authorize } from "../policy/authorize.ts";
import { isOrganizationPath, tenantOfPath } from "../policy/cross-tenant.ts";
import { choosePrincipal, principalSource, type PrincipalSources } from "../principal/choice.ts";
import type { Principal } from "../principal/principal.ts";
import { DEFAULTS } from "../defaults.ts";
import { fail, type Failure } from "../reason.ts";
import { chainOf, decodeChain, type DecodedChain } from "./chain.ts";
import { DecisionCache, isCacheable, type CacheWindow } from "./decision-cache.ts";
import { NONE, decision, type Decision, type Outcome, type Route, type ValidationRequest, type Validator } from "./decision.ts";
import { Tracer } from "./explanation.ts";
import { hintFor } from "./hints.ts";
import { identityOf, newMemo, sharedDecision, type Memo } from "./memo.ts";
import { routeOf, settledWithoutCertificate } from "./route.ts";
import { compileSettings, type CompiledSettings, type ValidatorSettings } from "./settings.ts";

export type { ChainInput, Decision, Identity, MatchedRule, ValidateOptions, ValidationRequest, Validator } from "./decision.ts";
export { refusedInput } from "./decision.ts";
export type { ValidatorSettings } from "./settings.ts";

/** A validator's compiled settings and everything it keeps between requests. */
interface Context {
  readonly compiled: CompiledSettings;
  readonly memo: Memo;
  readonly principals: PrincipalSources;
  readonly decisions: DecisionCache<Decision> | undefined;
}

/** A decision; the failure it was made from and the leaf's issuer, for a hint; and when it stays true (absent: not cacheable). */
interface Decided {
  readonly decision: Decision;
  readonly failure?: Failure | undefined;
  readonly issuer?: Certificate | undefined;
  readonly window?: CacheWindow | undefined;
}

export function createValidator(settings: ValidatorSettings): Validator {
  const compiled = compileSettings(settings);
  const { cache } = compiled;
  const context: Context = {
    compiled,
    memo: newMemo(settings),
    principals: {
      options: settings.principal,
      sanMappings: compiled.sanMappings,
      thumbprintMappings: settings.thumbprintMappings,
      headerSemantics: settings.headerSemantics ?? DEFAULTS.clientCertificateBasedAuthentication.headerSemantics,
    },
    decisions: cache.maxEntries > 0 ? new DecisionCache<Decision>(cache.maxEntries, cache.ttlSeconds) : undefined,
  };
  return {
    revocationStore: compiled.revocation.store,
    validate: (request, at, options) => (options?.explain === true ? explained(context, request, at) : validate(context, request, at).decision),
  };
}

/** The decision for one request: from the cache when it holds one, decided and cached otherwise. */
function validate(context: Context, request: ValidationRequest, at: Date, trace?: Tracer): Decided {
  const { compiled, memo, decisions } = context;
  const route = routeOf(compiled, memo, request);
  trace?.route(route, request, compiled.rules.enabled);
  if (!route.ok) return refused(undefined, route);
  const settled = settledWithoutCertificate(compiled, route);
  if (settled !== undefined) return answered(route, settled);
  const chain = chainOf(memo, request.chain, compiled.maxChainLength);
  if (!chain.ok) return refused(route, chain);
  // A stapled OCSP answer is evidence a cached decision did not see; an explained one is traced afresh.
  if (decisions === undefined || trace !== undefined || (request.ocspResponses?.length ?? 0) > 0)
    return decideChain(context, route, request, chain.ders, at, trace);
  // join() builds one flat string: a template literal would keep a rope of parts alive per cached entry.
  const key = [chain.key, policyKey(route, request), compiled.revocation.store.epoch].join("|");
  const cached = decisions.get(key, at.getTime());
  memo.onCacheLookup?.("decision", cached !== undefined);
  if (cached !== undefined) return { decision: cached };
  const decided = decideChain(context, route, request, chain.ders, at);
  if (decided.window === undefined || !isCacheable(decided.decision.reason)) return decided;
  const kept = sharedDecision(memo, decided.decision);
  decisions.set(key, kept, at.getTime(), decided.window);
  return { decision: kept };
}

/** The same decision, with every step traced, the path summarised and a hint on a refusal. */
function explained(context: Context, request: ValidationRequest, at: Date): Decision {
  const trace = new Tracer();
  const { decision: answer, failure, issuer } = validate(context, request, at, trace);
  trace.decision(answer);
  const hint = failure === undefined ? undefined : hintFor(failure, { certCns: context.compiled.cnCheck.certCns, issuer: issuer?.subject.text });
  return { ...answer, explanation: trace.explanation(hint) };
}

/** Stages 4 to 7 for a chain the cache did not answer: decode, anchoring, path, revocation, then the verified path's policy. */
function decideChain(context: Context, route: Route, request: ValidationRequest, ders: readonly Uint8Array[], at: Date, trace?: Tracer): Decided {
  const { compiled, memo } = context;
  const decoded = decodeChain(memo, ders, compiled.maxCertificateBytes);
  trace?.decoded(decoded);
  if (!decoded.ok) return refused(route, decoded);
  // A refusal that depends only on the chain is refused the same way until its leaf expires: cached like any answer.
  const leafWindow = windowOf([decoded.leaf]);
  const anchoring = anchoringOf(decoded.leaf, compiled);
  trace?.anchoring(anchoring, compiled.spiffe);
  if (!anchoring.ok) return refused(route, anchoring, leafWindow);
  const path = verifyPath(decoded.chain, anchoring.trust, {
    ...compiled.verify,
    at,
    verifiedSignatures: memo.verifiedSignatures,
    ...(trace === undefined ? {} : { observe: trace }),
  });
  trace?.verified(path, anchoring.trust, known(decoded));
  if (!path.ok) return refused(route, pathRefusal(compiled, path, decoded, anchoring), leafWindow);
  const revocation = revocationOf(context, path, decoded, anchoring, request, at, trace);
  trace?.revocation(revocation, compiled.revocation.mode);
  if (!revocation.ok) {
    const revoked = refused(route, revocation, windowOf(path.path), identityOf(memo, path.leaf, undefined, anchoring.spiffeId));
    return { ...revoked, decision: withUnavailable(revoked.decision, revocation.unavailable), issuer: path.issuer };
  }
  if (revocation.needs.length > 0) return pending(route, revocation.needs);
  const warnings = revocation.warnings.length === 0 ? path.nonconformance : [...path.nonconformance, ...revocation.warnings];
  const window = windowOf(path.path);
  const answer = decideVerified(context, route, request, path, anchoring.spiffeId, warnings.length === 0 ? NONE : warnings, trace);
  const decided = withUnavailable(answer.decision, revocation.unavailable);
  return { ...answer, decision: decided, issuer: path.issuer, window: { from: window.from, until: Math.min(window.until, revocation.until) } };
}

/** Stage 5's refusal, made clearer: an undecodable certificate that may have been the missing issuer, an SVID outside its domain. */
function pathRefusal(compiled: CompiledSettings, path: Exclude<PathResult, VerifiedPath>, decoded: DecodedChain, anchoring: Anchoring): Failure {
  if (path.reason !== "PATH_NOT_FOUND") return path;
  const undecodable = decoded.undecodable[0];
  if (undecodable !== undefined) return undecodable;
  return anchoring.spiffeId === undefined ? path : outsideTrustDomain(anchoring.spiffeId, known(decoded), compiled, path.message);
}

/** Stage 6: revocation of every certificate of the path but the anchor; stapled answers join the store first. */
function revocationOf(
  context: Context,
  path: VerifiedPath,
  decoded: DecodedChain,
  anchoring: Anchoring,
  request: ValidationRequest,
  at: Date,
  trace: Tracer | undefined,
) {
  const { compiled, memo } = context;
  const { store, mode, ocsp, fetch } = compiled.revocation;
  for (const der of request.ocspResponses ?? []) {
    const decoded = decodeOcspResponse(der);
    if (decoded.ok) store.addOcspResponse(decoded.response);
  }
  const indexOf = (certificate: Certificate) => decoded.chain.findIndex((c) => c?.fingerprint === certificate.fingerprint);
  const evidence =
    trace === undefined
      ? undefined
      : (certificate: Certificate, verdict: Parameters<Tracer["evidence"]>[2], detail: string) =>
          trace.evidence(certificate, indexOf(certificate), verdict, detail);
  const verify = { ...compiled.verify, at, verifiedSignatures: memo.verifiedSignatures };
  return checkPathRevocation(path, decoded.chain, anchoring.trust, { store, mode, at, ocsp, fetchCrls: fetch, profile: compiled.profile, verify, evidence });
}

/** Stage 7: on a verified, unrevoked path, the proxy's peer, the issuing CA's CN, the principal and access; `warnings` go with any answer. */
function decideVerified(
  context: Context,
  route: Route,
  request: ValidationRequest,
  path: VerifiedPath,
  spiffeId: SpiffeId | undefined,
  warnings: readonly Nonconformance[],
  trace: Tracer | undefined,
): Decided {
  const { compiled, memo, principals } = context;
  const answer = (outcome: Outcome, principal?: Principal): Decided => ({
    decision: decision(route, outcome, identityOf(memo, path.leaf, principal, spiffeId), warnings),
    failure: outcome.ok ? undefined : outcome,
  });
  const peer = request.peerPrincipal;
  if (spiffeId !== undefined && peer !== undefined && peer !== "" && peer !== spiffeId.text) {
    // The proxy authenticated someone else than the certificate it forwarded: believe neither.
    const mismatch = fail(
      "TRUST_DOMAIN_MISMATCH",
      `the proxy names the peer ${JSON.stringify(peer)}, but the verified certificate is ${spiffeId.text}`,
      0,
      "peer-principal-mismatch",
    );
    trace?.peer(mismatch);
    return answer(mismatch);
  }
  const cnApplies = compiled.cnCheck.enable && !route.exempt;
  const issuer = path.issuer.subject;
  const cnRefused = cnApplies ? compiled.allowList.check({ commonNames: issuer.commonNames, name: issuer.text, certIndex: path.issuerIndex }) : undefined;
  trace?.issuerCn({ applies: cnApplies, enabled: compiled.cnCheck.enable, refused: cnRefused, issuer: path.issuer, issuerIndex: path.issuerIndex });
  if (cnRefused !== undefined) return answer(cnRefused);
  const choice = choosePrincipal(path.leaf, principals, { cnApplies, exempt: route.exempt, userHeader: request.userHeader });
  trace?.principal(choice, principalSource(principals, cnApplies));
  if (!choice.ok) return answer(choice);
  const { principal } = choice;
  const admits = route.match === undefined ? undefined : compiled.rulePrincipals[route.match.index];
  const rules = { match: route.match, admits, segments: route.segments, grants: compiled.settings.grants, superTenantPaths: choice.from !== "san mapping" };
  const accessRefused = authorize({ principal, spiffeId }, rules);
  trace?.access(accessRefused, route);
  if (accessRefused !== undefined) return answer(accessRefused, principal);
  const named = principal?.qualifiedUsername ?? spiffeId?.text;
  return answer({ ok: true, message: named === undefined ? "chain verified; no user named" : `chain verified for ${named}` }, principal);
}

/** The sources the revocation check could not use, carried by the decision (for explain, the metric and the log). */
function withUnavailable(answer: Decision, unavailable: readonly Unavailable[]): Decision {
  return unavailable.length === 0 ? answer : { ...answer, revocationUnavailable: unavailable };
}

function refused(route: Route | undefined, failure: Failure, window?: CacheWindow, identity?: Decision["identity"]): Decided {
  return { decision: decision(route, failure, identity), failure, window };
}

/** An answer given before any certificate was read: never cached (it costs nothing to give again). */
function answered(route: Route, outcome: Outcome): Decided {
  return { decision: decision(route, outcome), failure: outcome.ok ? undefined : outcome };
}

/** Not final: the edge fetches these sources and asks again. */
function pending(route: Route, needs: readonly RevocationNeed[]): Decided {
  const unknown = fail("REVOCATION_UNKNOWN", "revocation status has to be fetched");
  return { decision: { ...decision(route, unknown), revocationNeeds: needs }, failure: unknown };
}

/** The presented certificates that decoded. */
function known(decoded: DecodedChain): Certificate[] {
  return decoded.chain.filter((certificate) => certificate !== undefined);
}

/** Everything besides the chain that can change the answer. */
function policyKey(route: Route, request: ValidationRequest): string {
  // An organisation path and a tenant path of the same name answer alike but for the status.
  const tenant = `${isOrganizationPath(route.segments) ? "o:" : ""}${tenantOfPath(route.segments) ?? ""}`;
  return `${route.match?.index ?? -1}|${route.exempt ? 1 : 0}|${tenant}|${request.userHeader ?? ""}|${request.peerPrincipal ?? ""}`;
}

/** When a decision about this chain stays true: within every certificate's validity. */
function windowOf(certificates: readonly Certificate[]): CacheWindow {
  return {
    from: Math.max(...certificates.map((c) => c.notBefore.getTime())),
    // Valid through the whole second of notAfter, as path validation counts it.
    until: Math.min(...certificates.map((c) => c.notAfter.getTime())) + 999,
  };
}
