// Certification path building and validation (RFC 5280 section 6) for a client
// chain: from the presented leaf to a configured trust anchor, through presented
// certificates (any order, duplicates and extras allowed) and the intermediate pool.
import { fail, type Failure } from "../reason.ts";
import type { KeyObject } from "node:crypto";
import type { Certificate } from "./certificate.ts";
import { KEY_USAGE, OID } from "./extensions.ts";
import { checkNameConstraints } from "./name-constraints.ts";
import { checkPolicies } from "./policy.ts";
import { checkProfile, type Profile } from "./profile.ts";
import { signedDataVerifies } from "./signature.ts";
import { workingKeys } from "./working-key.ts";
import { indexBySubject, type TrustStore } from "./trust-store.ts";

export type Purpose = "client" | "server" | "any";

/**
 * Critical extensions certgate processes: path building and checks (here), name
 * constraints (name-constraints.ts), policies (policy.ts), distribution points
 * (revocation). Any other critical extension rejects the path (RFC 5280 4.2).
 */
const UNDERSTOOD_CRITICAL = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.issuerAltName,
  OID.certificatePolicies,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.crlDistributionPoints,
  OID.nameConstraints,
  OID.policyMappings,
  OID.policyConstraints,
  OID.inhibitAnyPolicy,
]);

export interface VerifyOptions {
  /** Validation time: passed in, never read from a clock here. */
  readonly at: Date;
  /** Most certificates a path may hold, leaf and anchor included. */
  readonly maxChainLength: number;
  readonly allowSha1: boolean;
  readonly purpose: Purpose;
  /** user-initial-policy-set (RFC 5280 6.1.1 (c)); empty: anyPolicy. */
  readonly requiredPolicies?: readonly string[];
  /** Bound on signature checks while searching, against many cross-signed candidates. */
  readonly maxSignatureChecks?: number;
  /**
   * Signatures already verified in earlier requests, keyed by child and issuer
   * fingerprints: a leaf under a known intermediate then costs one check.
   */
  readonly verifiedSignatures?: VerifiedSignatures;
  /** The RFC 5280 profile certificates must keep (default "strict"). */
  readonly profile?: Profile;
  /** Only paths ending at this trust anchor (a CRL signer's path must share the certificate's anchor, RFC 5280 6.3.3 (f)). */
  readonly anchor?: Certificate;
}

export interface VerifiedSignatures {
  has(key: string): boolean;
  add(key: string): void;
}

export interface VerifiedPath {
  readonly ok: true;
  readonly leaf: Certificate;
  /** The certificate that signed the leaf (an intermediate, or the anchor). */
  readonly issuer: Certificate;
  /** Where the issuer sits in the presented chain; -1 when it came from the trust store. */
  readonly issuerIndex: number;
  /** Leaf first, trust anchor last. */
  readonly path: readonly Certificate[];
  /** The working public key of each certificate of `path` that signs on it (RFC 5280 6.1.4 (d)-(f)); the leaf's stays undefined. */
  readonly keys: readonly (KeyObject | undefined)[];
}

export type PathResult = VerifiedPath | Failure;

const DEFAULT_SIGNATURE_CHECKS = 32;
/** Complete candidate paths validated before giving up with the first one's failure. */
const MAX_COMPLETE_PATHS = 8;

interface Search {
  readonly trust: TrustStore;
  readonly options: VerifyOptions;
  readonly presentedByName: Map<string, Certificate[]>;
  readonly signatures: Map<string, boolean>;
  checksLeft: number;
  badSignature: Certificate | undefined;
  depthLimited: boolean;
  /** The deepest certificate for which no issuer was found, for the failure message. */
  deadEnd: { certificate: Certificate; depth: number } | undefined;
}

function signedBy(child: Certificate, issuer: Certificate, search: Search): boolean {
  // A key that inherits its DSA parameters is only complete on a whole path: checkPath verifies it.
  if (issuer.inheritsKeyParameters) return true;
  const key = child.fingerprint + issuer.fingerprint;
  const known = search.signatures.get(key);
  if (known !== undefined) return known;
  // Only successes are kept across requests, so forged certificates cannot fill the cache.
  if (search.options.verifiedSignatures?.has(key) === true) return true;
  if (search.checksLeft <= 0) return false;
  search.checksLeft--;
  const issuerKey = issuer.publicKey;
  const verified = issuerKey !== undefined && signedDataVerifies(child.signed, issuerKey);
  search.signatures.set(key, verified);
  if (verified) search.options.verifiedSignatures?.add(key);
  if (!verified && search.badSignature === undefined) search.badSignature = child;
  return verified;
}

/** Key identifiers narrow candidates when both sides carry them (RFC 5280 4.2.1.1). */
function keyIdsAgree(child: Certificate, issuer: Certificate): boolean {
  return child.authorityKeyId === undefined || issuer.subjectKeyId === undefined || child.authorityKeyId === issuer.subjectKeyId;
}

/** Depth-first, anchors before intermediates at each step, no certificate twice in a path. */
function* candidatePaths(path: readonly Certificate[], search: Search): Generator<readonly Certificate[]> {
  const current = path[path.length - 1]!;
  const { trust, options } = search;
  let found = false;
  if (path.length + 1 <= options.maxChainLength) {
    for (const anchor of trust.anchorsNamed(current.issuer.key)) {
      if (options.anchor !== undefined && anchor.fingerprint !== options.anchor.fingerprint) continue;
      if (keyIdsAgree(current, anchor) && signedBy(current, anchor, search)) {
        found = true;
        yield [...path, anchor];
      }
    }
  } else {
    search.depthLimited = true;
  }
  const issuers = [...(search.presentedByName.get(current.issuer.key) ?? []), ...trust.intermediatesNamed(current.issuer.key)];
  if (issuers.length > 0 && path.length + 2 > options.maxChainLength) {
    search.depthLimited = true;
    return;
  }
  for (const issuer of issuers) {
    if (path.some((certificate) => certificate.fingerprint === issuer.fingerprint)) continue;
    if (!keyIdsAgree(current, issuer) || !signedBy(current, issuer, search)) continue;
    found = true;
    yield* candidatePaths([...path, issuer], search);
  }
  if (!found && (search.deadEnd === undefined || path.length > search.deadEnd.depth)) {
    search.deadEnd = { certificate: current, depth: path.length };
  }
}

export function verifyPath(presented: readonly Certificate[], trust: TrustStore, options: VerifyOptions): PathResult {
  const leaf = presented[0];
  if (leaf === undefined) return fail("MALFORMED_CERTIFICATE", "the chain holds no certificate");
  if (presented.length > options.maxChainLength) {
    return fail("CHAIN_TOO_LONG", `${presented.length} certificates presented; max_chain_length is ${options.maxChainLength}`);
  }
  const indexOf = presentedIndexer(presented);
  const search: Search = {
    trust,
    options,
    presentedByName: indexBySubject(presented.slice(1)),
    signatures: new Map(),
    checksLeft: options.maxSignatureChecks ?? DEFAULT_SIGNATURE_CHECKS,
    badSignature: undefined,
    depthLimited: false,
    deadEnd: undefined,
  };
  let firstFailure: Failure | undefined;
  let tried = 0;
  for (const path of candidatePaths([leaf], search)) {
    const checked = checkPath(path, indexOf, options);
    if (checked.ok) return checked;
    firstFailure ??= checked;
    if (++tried >= MAX_COMPLETE_PATHS) break;
  }
  return firstFailure ?? noPathFailure(leaf, search, indexOf);
}

function presentedIndexer(presented: readonly Certificate[]): (certificate: Certificate) => number {
  const index = new Map<string, number>();
  presented.forEach((certificate, i) => {
    if (!index.has(certificate.fingerprint)) index.set(certificate.fingerprint, i);
  });
  return (certificate) => index.get(certificate.fingerprint) ?? -1;
}

function noPathFailure(leaf: Certificate, search: Search, indexOf: (c: Certificate) => number): Failure {
  if (leaf.selfIssued && leaf.publicKey !== undefined && signedDataVerifies(leaf.signed, leaf.publicKey)) {
    return fail("SELF_SIGNED_CERTIFICATE", `self-signed certificate "${leaf.subject.text}" is not a trust anchor`, 0);
  }
  if (search.badSignature !== undefined) {
    const bad = search.badSignature;
    return fail("BAD_SIGNATURE", `signature of "${bad.subject.text}" does not verify with the key of its issuer "${bad.issuer.text}"`, indexOf(bad));
  }
  if (search.depthLimited) {
    return fail("CHAIN_TOO_LONG", `no path to a trust anchor within max_chain_length ${search.options.maxChainLength}`);
  }
  if (search.checksLeft <= 0) return fail("PATH_NOT_FOUND", "path search gave up after its signature-check budget");
  const end = search.deadEnd?.certificate ?? leaf;
  if (end.selfIssued) return fail("PATH_NOT_FOUND", `the chain ends at "${end.subject.text}", which is not a trust anchor`, indexOf(end));
  return fail("PATH_NOT_FOUND", `no trusted issuer "${end.issuer.text}" found for "${end.subject.text}"`, indexOf(end));
}

/** RFC 5280 6.1 checks on a complete path, anchor first, as the algorithm walks it. */
function checkPath(path: readonly Certificate[], indexOf: (c: Certificate) => number, options: VerifyOptions): PathResult {
  for (let i = path.length - 1; i >= 0; i--) {
    const certificate = path[i]!;
    const isAnchor = i === path.length - 1;
    const failure =
      checkCertificate(certificate, { isAnchor, index: indexOf(certificate) }, options) ??
      (i > 0 ? checkIssuingCa(certificate, path.slice(1, i), { isAnchor, index: indexOf(certificate) }) : checkLeafPurpose(certificate, options.purpose));
    if (failure !== undefined) return failure;
  }
  const constrained = checkNameConstraints(path, indexOf) ?? checkPolicies(path, options.requiredPolicies ?? [], indexOf);
  if (constrained !== undefined) return constrained;
  const keys = workingKeys(path);
  const unverified = checkInheritedKeySignatures(path, keys, indexOf) ?? checkPathProfile(path, indexOf, options.profile ?? "strict");
  if (unverified !== undefined) return unverified;
  const issuer = path[1] ?? path[0]!;
  return { ok: true, leaf: path[0]!, issuer, issuerIndex: indexOf(issuer), path, keys };
}

/** RFC 5280 section 4's MUSTs, anchor first, after the section 6 checks so those keep their more specific codes. */
function checkPathProfile(path: readonly Certificate[], indexOf: (c: Certificate) => number, profile: Profile): Failure | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const failure = checkProfile(path[i]!, { isAnchor: i === path.length - 1, issues: i > 0 }, profile, indexOf(path[i]!));
    if (failure !== undefined) return failure;
  }
  return undefined;
}

/** Signatures by issuers whose DSA keys inherit their parameters, deferred by the search until the path was whole. */
function checkInheritedKeySignatures(path: readonly Certificate[], keys: readonly (KeyObject | undefined)[], indexOf: (c: Certificate) => number): Failure | undefined {
  for (let i = 0; i < path.length - 1; i++) {
    const issuer = path[i + 1]!;
    if (!issuer.inheritsKeyParameters) continue;
    const key = keys[i + 1];
    if (key === undefined) return fail("BAD_SIGNATURE", `"${issuer.subject.text}" has a DSA key without parameters and no DSA issuer to inherit them from`, indexOf(issuer));
    if (!signedDataVerifies(path[i]!.signed, key)) {
      return fail("BAD_SIGNATURE", `signature of "${path[i]!.subject.text}" does not verify with the key of its issuer "${issuer.subject.text}"`, indexOf(path[i]!));
    }
  }
  return undefined;
}

function checkCertificate(certificate: Certificate, where: { isAnchor: boolean; index: number }, options: VerifyOptions): Failure | undefined {
  const { index } = where;
  const name = certificate.subject.text;
  // An anchor is trusted as configured: its own self-signature is never relied upon.
  if (!where.isAnchor) {
    if (!certificate.signatureAlgorithmsMatch) return fail("BAD_SIGNATURE", `"${name}": signature algorithm fields differ (RFC 5280 4.1.1.2)`, index);
    const weak = certificate.weakHash;
    if (weak !== undefined && (weak !== "sha1" || !options.allowSha1)) {
      return fail("WEAK_SIGNATURE_ALGORITHM", `"${name}" is signed with ${weak.toUpperCase()}`, index);
    }
  }
  // Certificate times have one-second granularity: valid from the start of notBefore's second through the end of notAfter's.
  const second = Math.floor(options.at.getTime() / 1000) * 1000;
  if (second < certificate.notBefore.getTime()) {
    return fail("CERTIFICATE_NOT_YET_VALID", `"${name}" is valid from ${certificate.notBefore.toISOString()}`, index);
  }
  if (second > certificate.notAfter.getTime()) {
    return fail("CERTIFICATE_EXPIRED", `"${name}" expired at ${certificate.notAfter.toISOString()}`, index);
  }
  const unknown = certificate.extensions.filter((extension) => extension.critical && !UNDERSTOOD_CRITICAL.has(extension.id)).map((extension) => extension.id);
  if (unknown.length > 0) return fail("UNKNOWN_CRITICAL_EXTENSION", `"${name}" has unprocessed critical extension ${unknown.join(", ")}`, index);
  return undefined;
}

/**
 * `below`: the intermediates between this CA and the leaf. A trust anchor without
 * basicConstraints (a version 1 root) is the profile's business, not 6.1.4 (k)'s.
 */
function checkIssuingCa(ca: Certificate, below: readonly Certificate[], where: { isAnchor: boolean; index: number }): Failure | undefined {
  const { index } = where;
  const name = ca.subject.text;
  const anchorWithoutConstraints = where.isAnchor && ca.basicConstraints === undefined;
  if (ca.basicConstraints?.ca !== true && !anchorWithoutConstraints) return fail("NOT_A_CA", `"${name}" issues certificates but is not a CA (basicConstraints cA)`, index);
  if (ca.keyUsage !== undefined && (ca.keyUsage & KEY_USAGE.keyCertSign) === 0) {
    return fail("KEY_USAGE_INVALID", `"${name}" issues certificates but its keyUsage lacks keyCertSign`, index);
  }
  const limit = ca.basicConstraints?.pathLength;
  // RFC 5280 6.1.4 (l): self-issued intermediates do not count against pathLen.
  const counted = below.filter((certificate) => !certificate.selfIssued).length;
  if (limit !== undefined && counted > limit) {
    return fail("PATH_LENGTH_EXCEEDED", `"${name}" allows ${limit} intermediate(s) below it; the path has ${counted}`, index);
  }
  return undefined;
}

const PURPOSES = {
  client: { eku: OID.clientAuth, keyUsage: KEY_USAGE.digitalSignature | KEY_USAGE.keyAgreement },
  server: { eku: OID.serverAuth, keyUsage: KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment | KEY_USAGE.keyAgreement },
} as const;

/** The leaf must be fit for TLS client (or server) authentication, as OpenSSL's -purpose checks. */
function checkLeafPurpose(leaf: Certificate, purpose: Purpose): Failure | undefined {
  if (purpose === "any") return undefined;
  const wanted = PURPOSES[purpose];
  const eku = leaf.extendedKeyUsage;
  if (eku !== undefined && !eku.includes(wanted.eku) && !eku.includes(OID.anyExtendedKeyUsage)) {
    return fail("EXTENDED_KEY_USAGE_INVALID", `"${leaf.subject.text}" extendedKeyUsage does not allow ${purpose} authentication`, 0);
  }
  if (leaf.keyUsage !== undefined && (leaf.keyUsage & wanted.keyUsage) === 0) {
    return fail("KEY_USAGE_INVALID", `"${leaf.subject.text}" keyUsage does not allow ${purpose} authentication`, 0);
  }
  return undefined;
}
