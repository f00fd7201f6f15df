// RFC 5280 section 6.1 on one complete candidate path, anchor first as the algorithm
// walks it: each certificate's checks by name (so `explain` can say which ran and
// what they found), then name constraints, policies, inherited DSA keys and the
// section 4 profile. Path building lives in path.ts.
import type { KeyObject } from "node:crypto";
import { fail, type Failure } from "../../reason.ts";
import type { Certificate } from "../certificate/certificate.ts";
import { KEY_USAGE, OID } from "../certificate/extensions.ts";
import { checkNameConstraints } from "./name-constraints.ts";
import { checkPolicies } from "./certificate-policies.ts";
import { DEFAULTS } from "../../defaults.ts";
import { nonconformanceOf, strictRefusal, type Nonconformance, type Profile } from "./profile.ts";
import { signedDataVerifies } from "../certificate/signature.ts";
import { workingKeys } from "./working-key.ts";

export type Purpose = "client" | "server" | "any";

export interface VerifiedSignatures {
  has(key: string): boolean;
  add(key: string): void;
}

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
  readonly maxPathChecks?: number;
  /**
   * Signatures already verified in earlier requests, keyed by child and issuer
   * fingerprints: a leaf under a known intermediate then costs one check.
   */
  readonly verifiedSignatures?: VerifiedSignatures;
  /** "rfc5280" (default) reports the section 4 rules a certificate breaks; "strict" refuses the path. */
  readonly profile?: Profile;
  /** Only paths ending at this trust anchor (a CRL signer's path must share the certificate's anchor, RFC 5280 6.3.3 (f)). */
  readonly anchor?: Certificate;
  /** Told what building and validation did (`explain`); absent on the hot path. */
  readonly observe?: PathObserver;
}

export type CandidateOutcome =
  "issuer" | "key identifier mismatch" | "bad signature" | "not the required anchor" | "signature budget spent" | "already on the path";

export interface PathObserver {
  /** A certificate considered as the issuer of `child`, where it came from, and what came of it. */
  candidate(child: Certificate, issuer: Certificate, source: "anchor" | "presented" | "pool", outcome: CandidateOutcome): void;
  /** A complete candidate path (leaf first), about to be checked. */
  candidatePath(path: readonly Certificate[], indexOf: (certificate: Certificate) => number): void;
  /** One named check on one certificate of a complete path (`index`: in the presented chain, -1 if not presented). */
  check(certificate: Certificate | undefined, index: number, check: string, failure: Failure | undefined): void;
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
  /** Every section 4 rule a certificate of the path breaks (empty under "strict", which refuses them). */
  readonly nonconformance: readonly Nonconformance[];
}

export type PathResult = VerifiedPath | Failure;

/**
 * Critical extensions certgate processes: path checks (here), name constraints
 * (name-constraints.ts), policies (policy.ts), distribution points (revocation).
 * Any other critical extension rejects the path (RFC 5280 4.2). The key identifiers
 * are not among them: RFC 5280 says they MUST NOT be critical, and OpenSSL and Java
 * refuse them as unhandled critical extensions too.
 */
const UNDERSTOOD_CRITICAL = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.issuerAltName,
  OID.certificatePolicies,
  OID.crlDistributionPoints,
  OID.nameConstraints,
  OID.policyMappings,
  OID.policyConstraints,
  OID.inhibitAnyPolicy,
]);

/** Extensions RFC 5280 says conforming CAs MUST NOT mark critical, named in the refusal. */
const NEVER_CRITICAL: Readonly<Record<string, string>> = {
  [OID.authorityKeyIdentifier]: "authorityKeyIdentifier, which RFC 5280 4.2.1.1 says MUST NOT be critical",
  [OID.subjectKeyIdentifier]: "subjectKeyIdentifier, which RFC 5280 4.2.1.2 says MUST NOT be critical",
};

const PURPOSES = {
  client: { eku: OID.clientAuth, keyUsage: KEY_USAGE.digitalSignature | KEY_USAGE.keyAgreement },
  server: { eku: OID.serverAuth, keyUsage: KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment | KEY_USAGE.keyAgreement },
} as const;

/** Where a certificate sits on the path being checked. */
interface Place {
  readonly certificate: Certificate;
  readonly index: number;
  readonly isAnchor: boolean;
  readonly isLeaf: boolean;
  /** The intermediates between this certificate and the leaf. */
  readonly below: readonly Certificate[];
  readonly options: VerifyOptions;
}

interface CertificateCheck {
  readonly name: string;
  readonly applies: (place: Place) => boolean;
  readonly run: (place: Place) => Failure | undefined;
}

const named = (place: Place) => `"${place.certificate.subject.text}"`;
/** Certificate times have one-second granularity: valid from the start of notBefore's second through the end of notAfter's. */
const second = (at: Date) => Math.floor(at.getTime() / 1000) * 1000;

/** The checks of 6.1.3 and 6.1.4 on one certificate, in the order they run; an anchor is trusted as configured, not by its signature. */
const CERTIFICATE_CHECKS: readonly CertificateCheck[] = [
  {
    name: "signature algorithm fields agree (4.1.1.2)",
    applies: (p) => !p.isAnchor,
    run: (p) =>
      p.certificate.signatureAlgorithmsMatch ? undefined : fail("BAD_SIGNATURE", `${named(p)}: signature algorithm fields differ (RFC 5280 4.1.1.2)`, p.index),
  },
  {
    name: "signature hash strength",
    applies: (p) => !p.isAnchor,
    run: (p) => {
      const weak = p.certificate.weakHash;
      return weak !== undefined && (weak !== "sha1" || !p.options.allowSha1)
        ? fail("WEAK_SIGNATURE_ALGORITHM", `${named(p)} is signed with ${weak.toUpperCase()}`, p.index)
        : undefined;
    },
  },
  {
    name: "validity: notBefore",
    applies: () => true,
    run: (p) =>
      second(p.options.at) < p.certificate.notBefore.getTime()
        ? fail("CERTIFICATE_NOT_YET_VALID", `${named(p)} is valid from ${p.certificate.notBefore.toISOString()}`, p.index)
        : undefined,
  },
  {
    name: "validity: notAfter",
    applies: () => true,
    run: (p) =>
      second(p.options.at) > p.certificate.notAfter.getTime()
        ? fail("CERTIFICATE_EXPIRED", `${named(p)} expired at ${p.certificate.notAfter.toISOString()}`, p.index)
        : undefined,
  },
  {
    name: "critical extensions understood",
    applies: () => true,
    run: (p) => {
      const unknown = p.certificate.extensions
        .filter((extension) => extension.critical && !UNDERSTOOD_CRITICAL.has(extension.id))
        .map((extension) => (NEVER_CRITICAL[extension.id] === undefined ? extension.id : `${extension.id} (${NEVER_CRITICAL[extension.id]})`));
      return unknown.length > 0
        ? fail("UNKNOWN_CRITICAL_EXTENSION", `${named(p)} has unprocessed critical extension ${unknown.join(", ")}`, p.index)
        : undefined;
    },
  },
  {
    // A trust anchor without basicConstraints (a version 1 root) is the profile's business, not 6.1.4 (k)'s.
    name: "basicConstraints cA (6.1.4 (k))",
    applies: (p) => !p.isLeaf,
    run: (p) => {
      const constraints = p.certificate.basicConstraints;
      if (constraints?.ca === true || (p.isAnchor && constraints === undefined)) return undefined;
      return fail("NOT_A_CA", `${named(p)} issues certificates but is not a CA (basicConstraints cA)`, p.index);
    },
  },
  {
    name: "keyUsage keyCertSign (6.1.4 (n))",
    applies: (p) => !p.isLeaf,
    run: (p) => {
      const usage = p.certificate.keyUsage;
      return usage !== undefined && (usage & KEY_USAGE.keyCertSign) === 0
        ? fail("KEY_USAGE_INVALID", `${named(p)} issues certificates but its keyUsage lacks keyCertSign`, p.index)
        : undefined;
    },
  },
  {
    name: "pathLenConstraint (6.1.4 (l)-(m))",
    applies: (p) => !p.isLeaf,
    run: (p) => {
      const limit = p.certificate.basicConstraints?.pathLength;
      // Self-issued intermediates do not count against pathLen.
      const counted = p.below.filter((certificate) => !certificate.selfIssued).length;
      return limit !== undefined && counted > limit
        ? fail("PATH_LENGTH_EXCEEDED", `${named(p)} allows ${limit} intermediate(s) below it; the path has ${counted}`, p.index)
        : undefined;
    },
  },
  {
    // The leaf must be fit for TLS client (or server) authentication, as OpenSSL's -purpose checks.
    name: "extendedKeyUsage allows the purpose",
    applies: (p) => p.isLeaf && p.options.purpose !== "any",
    run: (p) => {
      const purpose = p.options.purpose as Exclude<Purpose, "any">;
      const eku = p.certificate.extendedKeyUsage;
      if (eku === undefined || eku.includes(PURPOSES[purpose].eku) || eku.includes(OID.anyExtendedKeyUsage)) return undefined;
      return fail("EXTENDED_KEY_USAGE_INVALID", `${named(p)} extendedKeyUsage does not allow ${purpose} authentication`, 0);
    },
  },
  {
    name: "keyUsage allows the purpose",
    applies: (p) => p.isLeaf && p.options.purpose !== "any",
    run: (p) => {
      const purpose = p.options.purpose as Exclude<Purpose, "any">;
      const usage = p.certificate.keyUsage;
      return usage !== undefined && (usage & PURPOSES[purpose].keyUsage) === 0
        ? fail("KEY_USAGE_INVALID", `${named(p)} keyUsage does not allow ${purpose} authentication`, 0)
        : undefined;
    },
  },
];

function checkCertificates(path: readonly Certificate[], indexOf: (c: Certificate) => number, options: VerifyOptions): Failure | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const certificate = path[i]!;
    // A pinned end-entity certificate is leaf and anchor at once (a path of one).
    const place: Place = { certificate, index: indexOf(certificate), isAnchor: i === path.length - 1, isLeaf: i === 0, below: path.slice(1, i), options };
    for (const check of CERTIFICATE_CHECKS) {
      if (!check.applies(place)) continue;
      const failure = check.run(place);
      options.observe?.check(certificate, place.index, check.name, failure);
      if (failure !== undefined) return failure;
    }
  }
  return undefined;
}

/** Signatures by issuers whose DSA keys inherit their parameters, deferred by the search until the path was whole. */
function checkInheritedKeySignatures(
  path: readonly Certificate[],
  keys: readonly (KeyObject | undefined)[],
  indexOf: (c: Certificate) => number,
): Failure | undefined {
  for (let i = 0; i < path.length - 1; i++) {
    const issuer = path[i + 1]!;
    if (!issuer.inheritsKeyParameters) continue;
    const key = keys[i + 1];
    if (key === undefined)
      return fail("BAD_SIGNATURE", `"${issuer.subject.text}" has a DSA key without parameters and no DSA issuer to inherit them from`, indexOf(issuer));
    if (!signedDataVerifies(path[i]!.signed, key)) {
      return fail(
        "BAD_SIGNATURE",
        `signature of "${path[i]!.subject.text}" does not verify with the key of its issuer "${issuer.subject.text}"`,
        indexOf(path[i]!),
      );
    }
  }
  return undefined;
}

/** RFC 5280 section 4's MUSTs that certificates of the path break, leaf first. */
function pathNonconformance(path: readonly Certificate[], indexOf: (c: Certificate) => number): Nonconformance[] {
  return path.flatMap((certificate, i) => nonconformanceOf(certificate, { isAnchor: i === path.length - 1, issues: i > 0 }, indexOf(certificate)));
}

/** Run after the section 6 checks, so those keep their more specific codes: strict refuses with every rule at once; rfc5280 reports them. */
function checkProfile(found: readonly Nonconformance[], options: VerifyOptions): Failure | undefined {
  const profile = options.profile ?? DEFAULTS.truststore.profile;
  const failure = profile === "strict" && found.length > 0 ? strictRefusal(found) : undefined;
  options.observe?.check(undefined, failure?.certIndex ?? -1, `RFC 5280 profile (${profile})`, failure);
  return failure;
}

/** A check over the whole path, told to the observer under `name` against the certificate it names (if any). */
function pathCheck(name: string, failure: Failure | undefined, options: VerifyOptions): Failure | undefined {
  options.observe?.check(undefined, failure?.certIndex ?? -1, name, failure);
  return failure;
}

/** RFC 5280 6.1 on a complete candidate path (leaf first, anchor last). */
export function checkPath(path: readonly Certificate[], indexOf: (c: Certificate) => number, options: VerifyOptions): PathResult {
  const failure =
    checkCertificates(path, indexOf, options) ??
    pathCheck("name constraints (4.2.1.10)", checkNameConstraints(path, indexOf), options) ??
    pathCheck("certificate policies (6.1.3 (d)-6.1.5)", checkPolicies(path, options.requiredPolicies ?? [], indexOf), options);
  if (failure !== undefined) return failure;
  const keys = workingKeys(path);
  const nonconformance = pathNonconformance(path, indexOf);
  const unverified = checkInheritedKeySignatures(path, keys, indexOf) ?? checkProfile(nonconformance, options);
  if (unverified !== undefined) return unverified;
  const issuer = path[1] ?? path[0]!;
  return { ok: true, leaf: path[0]!, issuer, issuerIndex: indexOf(issuer), path, keys, nonconformance };
}
