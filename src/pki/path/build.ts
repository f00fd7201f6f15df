// Certification path building (RFC 5280 section 6, with the search 4158 describes)
// for a client chain: from the presented leaf to a configured trust anchor, through
// presented certificates (any order, duplicates and extras allowed) and the
// intermediate pool. Each complete candidate is validated by path-validation.ts.
import { DEFAULTS } from "../../defaults.ts";
import { fail, type Failure } from "../../reason.ts";
import type { Certificate } from "../certificate/certificate.ts";
import { checkPath, type CandidateOutcome, type PathResult, type VerifiedPath, type VerifyOptions } from "./validate.ts";
import { signedDataVerifies } from "../certificate/signature.ts";
import { indexBySubject, type TrustStore } from "./trust-store.ts";

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

/** Whether `issuer` signed `child`, told to the observer with why not. */
function issues(child: Certificate, issuer: Certificate, source: "anchor" | "presented" | "pool", search: Search): boolean {
  const observe = search.options.observe;
  let outcome: CandidateOutcome;
  if (!keyIdsAgree(child, issuer)) outcome = "key identifier mismatch";
  else if (search.checksLeft <= 0 && !issuer.inheritsKeyParameters && !search.signatures.has(child.fingerprint + issuer.fingerprint))
    outcome = "signature budget spent";
  else outcome = signedBy(child, issuer, search) ? "issuer" : "bad signature";
  observe?.candidate(child, issuer, source, outcome);
  return outcome === "issuer";
}

/** Depth-first, anchors before intermediates at each step, no certificate twice in a path. */
function* candidatePaths(path: readonly Certificate[], search: Search): Generator<readonly Certificate[]> {
  const current = path[path.length - 1]!;
  const { trust, options } = search;
  let found = false;
  if (path.length + 1 <= options.maxChainLength) {
    for (const anchor of trust.anchorsNamed(current.issuer.key)) {
      if (options.anchor !== undefined && anchor.fingerprint !== options.anchor.fingerprint) {
        options.observe?.candidate(current, anchor, "anchor", "not the required anchor");
        continue;
      }
      if (issues(current, anchor, "anchor", search)) {
        found = true;
        yield [...path, anchor];
      }
    }
  } else {
    search.depthLimited = true;
  }
  const presented = search.presentedByName.get(current.issuer.key) ?? [];
  const issuers = [...presented, ...trust.intermediatesNamed(current.issuer.key)];
  if (issuers.length > 0 && path.length + 2 > options.maxChainLength) {
    search.depthLimited = true;
    return;
  }
  for (const issuer of issuers) {
    const source = presented.includes(issuer) ? "presented" : "pool";
    if (path.some((certificate) => certificate.fingerprint === issuer.fingerprint)) {
      options.observe?.candidate(current, issuer, source, "already on the path");
      continue;
    }
    if (!issues(current, issuer, source, search)) continue;
    found = true;
    yield* candidatePaths([...path, issuer], search);
  }
  if (!found && (search.deadEnd === undefined || path.length > search.deadEnd.depth)) {
    search.deadEnd = { certificate: current, depth: path.length };
  }
}

/**
 * A verified path from the presented leaf to a trust anchor, or why there is none.
 * `presented` may hold gaps (undefined) where a certificate could not be decoded:
 * the others keep their places, and only a path that needed the missing one fails.
 */
export function verifyPath(presented: readonly (Certificate | undefined)[], trust: TrustStore, options: VerifyOptions): PathResult {
  const leaf = presented[0];
  if (leaf === undefined) return fail("MALFORMED_CERTIFICATE", "the chain holds no certificate");
  if (presented.length > options.maxChainLength) {
    return fail("CHAIN_TOO_LONG", `${presented.length} certificates presented; max_chain_length is ${options.maxChainLength}`);
  }
  const indexOf = presentedIndexer(presented);
  if (trust.isPinned(leaf.fingerprint)) {
    // Trusted for itself only: the path is the leaf alone, checked as leaf and anchor at once.
    options.observe?.candidatePath([leaf], indexOf);
    return checkPath([leaf], indexOf, options);
  }
  const search: Search = {
    trust,
    options,
    presentedByName: indexBySubject(presented.slice(1)),
    signatures: new Map(),
    checksLeft: options.maxPathChecks ?? DEFAULTS.server.maxPathChecks,
    badSignature: undefined,
    depthLimited: false,
    deadEnd: undefined,
  };
  let firstFailure: Failure | undefined;
  // Under rfc5280 a path that verifies with warnings is kept while the search looks on for
  // one without (a cross-certificate issued without key identifiers beside a conforming
  // one); under strict such a path is a failure like any other, and the search goes on.
  let withWarnings: VerifiedPath | undefined;
  let tried = 0;
  for (const path of candidatePaths([leaf], search)) {
    options.observe?.candidatePath(path, indexOf);
    const checked = checkPath(path, indexOf, options);
    if (checked.ok && checked.nonconformance.length === 0) return checked;
    if (checked.ok) withWarnings ??= checked;
    else firstFailure ??= checked;
    if (++tried >= MAX_COMPLETE_PATHS) break;
  }
  return withWarnings ?? firstFailure ?? noPathFailure(leaf, search, indexOf);
}

function presentedIndexer(presented: readonly (Certificate | undefined)[]): (certificate: Certificate) => number {
  const index = new Map<string, number>();
  presented.forEach((certificate, i) => {
    if (certificate !== undefined && !index.has(certificate.fingerprint)) index.set(certificate.fingerprint, i);
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
