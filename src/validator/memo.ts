// What a validator keeps between requests so that repeated input costs a lookup:
// decoded certificates by fingerprint, signatures already verified, parsed PEM texts
// and request paths, chain hashes, and one Identity and one Decision object per
// distinct answer (many cached decisions share them).
import { hash } from "node:crypto";
import { LruCache } from "../lru-cache.ts";
import { decodeCertificate, type DecodedCertificate } from "../pki/certificate/certificate.ts";
import type { Certificate } from "../pki/certificate/certificate.ts";
import type { VerifiedSignatures } from "../pki/path/validate.ts";
import type { SpiffeId } from "../pki/spiffe/spiffe-id.ts";
import type { normaliseRequestPath } from "../policy/request-path.ts";
import type { Principal } from "../principal/principal.ts";
import type { Failure } from "../reason.ts";
import type { Decision, Identity } from "./decision.ts";

const DEFAULT_CERTIFICATE_CACHE = 10_000;
const VERIFIED_SIGNATURES = 10_000;
const PEM_MEMO = 1_024;
const PATH_MEMO = 10_000;

/** The presented chain as DER, and its hash (the decision cache's key). */
export interface ChainBytes {
  readonly ok: true;
  readonly ders: readonly Uint8Array[];
  readonly key: string;
}

export interface Memo {
  /** Decoded certificates by DER SHA-256. */
  readonly certificates: LruCache<string, Certificate>;
  readonly verifiedSignatures: VerifiedSignatures;
  /** Sidecars repeat the same PEM text and paths: decoding them once each is measurable. */
  readonly pemChains: LruCache<string, ChainBytes | Failure>;
  readonly requestPaths: LruCache<string, ReturnType<typeof normaliseRequestPath>>;
  /** An edge that memoises its parsing (XFCC) hands over the same array again: hash it once. */
  readonly chainKeys: WeakMap<readonly Uint8Array[], string>;
  readonly identities: LruCache<string, Identity>;
  readonly decisions: LruCache<string, Decision>;
  readonly onCacheLookup: ((cache: "certificate" | "decision", hit: boolean) => void) | undefined;
}

export function newMemo(options: { readonly certificateCacheSize?: number | undefined; readonly onCacheLookup?: Memo["onCacheLookup"] }): Memo {
  const signatures = new LruCache<string, true>(VERIFIED_SIGNATURES);
  const size = options.certificateCacheSize ?? DEFAULT_CERTIFICATE_CACHE;
  return {
    certificates: new LruCache(size),
    verifiedSignatures: { has: (key) => signatures.get(key) !== undefined, add: (key) => signatures.set(key, true) },
    pemChains: new LruCache(PEM_MEMO),
    requestPaths: new LruCache(PATH_MEMO),
    chainKeys: new WeakMap(),
    identities: new LruCache(size),
    decisions: new LruCache(size),
    onCacheLookup: options.onCacheLookup,
  };
}

/** One DER certificate decoded once, kept by fingerprint. */
export function decodeOnce(memo: Memo, der: Uint8Array, index: number): DecodedCertificate {
  const fingerprint = hash("sha256", der, "hex");
  const cached = memo.certificates.get(fingerprint);
  memo.onCacheLookup?.("certificate", cached !== undefined);
  if (cached !== undefined) return { ok: true, certificate: cached };
  const decoded = decodeCertificate(der, index, fingerprint);
  if (decoded.ok) memo.certificates.set(fingerprint, decoded.certificate);
  return decoded;
}

/** Many cached decisions (one leaf in many chains, many paths) share one Identity per client. */
export function identityOf(memo: Memo, leaf: Certificate, principal: Principal | undefined, spiffeId: SpiffeId | undefined): Identity {
  // The SPIFFE ID is the leaf's own (fingerprint), whenever SPIFFE handling is on.
  const key = [leaf.fingerprint, principal?.qualifiedUsername ?? "", principal?.userStoreDomain ?? "", spiffeId === undefined ? 0 : 1].join("|");
  let identity = memo.identities.get(key);
  if (identity === undefined) {
    identity = {
      principal,
      subject: leaf.subject.text,
      issuer: leaf.issuer.text,
      serialNumber: leaf.serialNumber,
      fingerprint: leaf.fingerprint,
      notAfter: leaf.notAfter,
      spiffeId: spiffeId?.text,
    };
    memo.identities.set(key, identity);
  }
  return identity;
}

/** One object per distinct answer: many chains (a client with other extra certificates, other paths) share it in the cache. */
export function sharedDecision(memo: Memo, decided: Decision): Decision {
  const rule = decided.matchedRule?.index ?? -1;
  const warned = decided.warnings.map((warning) => warning.fingerprint + warning.rule).join(",");
  const unavailable = decided.revocationUnavailable.map((source) => `${source.source}:${source.why}`).join(",");
  const identity = decided.identity;
  const key = [
    decided.reason,
    // The same refusal can answer 401 or 403 (a cross-tenant one under /o/).
    decided.httpStatus,
    decided.certIndex,
    decided.exempt ? 1 : 0,
    rule,
    identity?.fingerprint ?? "",
    identity?.principal?.qualifiedUsername ?? "",
    decided.message,
    warned,
    unavailable,
  ].join("|");
  const known = memo.decisions.get(key);
  if (known !== undefined && known.identity === decided.identity) return known;
  memo.decisions.set(key, decided);
  return decided;
}
