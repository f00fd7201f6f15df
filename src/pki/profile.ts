// The RFC 5280 profile for conforming CAs (section 4), checked on every certificate
// of a path: the MUSTs that path validation (section 6) does not itself enforce. Under
// "compatible" the rules about the presence of key identifiers and the criticality of
// extensions certgate processes either way are skipped: they are what legacy
// enterprise CAs get wrong, and relaxing them never changes what a chain can prove.
import { fail, type Failure } from "../reason.ts";
import type { Certificate } from "./certificate.ts";
import { KEY_USAGE, OID } from "./extensions.ts";
import { signedDataVerifies } from "./signature.ts";

export type Profile = "strict" | "compatible";
export const PROFILES: readonly Profile[] = ["strict", "compatible"];

/** Where a certificate sits on the path. */
export interface PathRole {
  readonly isAnchor: boolean;
  /** It signed the next certificate down the path. */
  readonly issues: boolean;
}

export interface ProfileRule {
  /** Stable name, shown in the refusal and the README. */
  readonly id: string;
  readonly section: string;
  /** Skipped under truststore.profile = "compatible". */
  readonly relaxed: boolean;
  /** The violation, described, or undefined when the certificate keeps the rule. */
  readonly check: (certificate: Certificate, role: PathRole) => string | undefined;
}

const extension = (certificate: Certificate, id: string) => certificate.extensions.find((e) => e.id === id);

/** A CA certificate: asserts cA, or acts as one on this path. */
const isCa = (certificate: Certificate, role: PathRole) => certificate.basicConstraints?.ca === true || role.issues || role.isAnchor;

const selfSignatures = new WeakMap<Certificate, boolean>();

/**
 * RFC 5280 uses "self-signed" for a self-issued certificate whose own key verifies it;
 * only those may omit AKI. Remembered per certificate: a root is on every path.
 */
function selfSigned(certificate: Certificate): boolean {
  if (!certificate.selfIssued || certificate.publicKey === undefined) return false;
  let verdict = selfSignatures.get(certificate);
  if (verdict === undefined) {
    verdict = signedDataVerifies(certificate.signed, certificate.publicKey);
    selfSignatures.set(certificate, verdict);
  }
  return verdict;
}

export const PROFILE_RULES: readonly ProfileRule[] = [
  {
    id: "authority-key-identifier-missing",
    section: "4.2.1.1",
    relaxed: true,
    check: (c) => (extension(c, OID.authorityKeyIdentifier) === undefined && !selfSigned(c) ? "has no authorityKeyIdentifier and is not self-signed" : undefined),
  },
  {
    id: "authority-key-identifier-critical",
    section: "4.2.1.1",
    relaxed: true,
    check: (c) => (extension(c, OID.authorityKeyIdentifier)?.critical === true ? "marks authorityKeyIdentifier critical" : undefined),
  },
  {
    id: "subject-key-identifier-missing",
    section: "4.2.1.2",
    relaxed: true,
    check: (c, role) => (isCa(c, role) && extension(c, OID.subjectKeyIdentifier) === undefined ? "is a CA certificate without subjectKeyIdentifier" : undefined),
  },
  {
    id: "basic-constraints-missing",
    section: "4.2.1.9",
    relaxed: true,
    check: (c, role) => (isCa(c, role) && c.basicConstraints === undefined ? "is a CA certificate without basicConstraints" : undefined),
  },
  {
    id: "basic-constraints-not-critical",
    section: "4.2.1.9",
    relaxed: true,
    check: (c) => (c.basicConstraints?.ca === true && extension(c, OID.basicConstraints)?.critical !== true ? "does not mark basicConstraints critical" : undefined),
  },
  {
    id: "policy-constraints-not-critical",
    section: "4.2.1.11",
    relaxed: true,
    check: (c) => (extension(c, OID.policyConstraints)?.critical === false ? "does not mark policyConstraints critical" : undefined),
  },
  {
    id: "key-cert-sign-without-ca",
    section: "4.2.1.3",
    relaxed: false,
    check: (c) => (c.keyUsage !== undefined && (c.keyUsage & KEY_USAGE.keyCertSign) !== 0 && c.basicConstraints?.ca !== true ? "asserts keyCertSign without basicConstraints cA" : undefined),
  },
  {
    id: "extended-key-usage-empty",
    section: "4.2.1.12",
    relaxed: false,
    check: (c) => (c.extendedKeyUsage?.length === 0 ? "has an empty extendedKeyUsage" : undefined),
  },
  {
    id: "name-constraints-in-end-entity",
    section: "4.2.1.10",
    relaxed: false,
    check: (c) => (c.nameConstraints !== undefined && c.basicConstraints?.ca !== true ? "has nameConstraints but is not a CA certificate" : undefined),
  },
  {
    id: "empty-subject-without-critical-san",
    section: "4.1.2.6, 4.2.1.6",
    relaxed: false,
    check: (c) => {
      if (c.subject.rdnKeys.length > 0) return undefined;
      return extension(c, OID.subjectAltName)?.critical === true && c.subjectAltNames.length > 0 ? undefined : "has an empty subject and no critical subjectAltName";
    },
  },
  {
    id: "ca-subject-empty",
    section: "4.1.2.6",
    relaxed: false,
    check: (c, role) => (isCa(c, role) && c.subject.rdnKeys.length === 0 ? "is a CA certificate with an empty subject" : undefined),
  },
];

/** The first rule of `profile` that `certificate` breaks, as NONCONFORMING_CERTIFICATE. */
export function checkProfile(certificate: Certificate, role: PathRole, profile: Profile, index: number): Failure | undefined {
  for (const rule of PROFILE_RULES) {
    if (profile === "compatible" && rule.relaxed) continue;
    const violation = rule.check(certificate, role);
    if (violation !== undefined) {
      const relax = rule.relaxed ? `; truststore.profile = "compatible" accepts it` : "";
      return fail("NONCONFORMING_CERTIFICATE", `"${certificate.subject.text}" ${violation} (RFC 5280 ${rule.section}, ${rule.id}${relax})`, index);
    }
  }
  return undefined;
}
