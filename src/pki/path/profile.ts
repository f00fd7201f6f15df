// RFC 5280's profile for conforming CAs (section 4): the MUSTs that path validation
// (section 6) does not itself enforce, one rule per row. Under "rfc5280" (the
// default, a relying party as RFC 5280 section 6, OpenSSL and Java are) a broken rule
// changes nothing a chain can prove: it is reported as a warning on every decision,
// never silently accepted. Under "strict" any broken rule refuses the path, and the
// refusal lists every rule every certificate of the path breaks.
import { fail, type Failure } from "../../reason.ts";
import type { Certificate } from "../certificate/certificate.ts";
import { KEY_USAGE, OID } from "../certificate/extensions.ts";
import { signedDataVerifies } from "../certificate/signature.ts";

export type Profile = "rfc5280" | "strict";
export const PROFILES: readonly Profile[] = ["rfc5280", "strict"];

/** Names accepted for truststore.profile and --profile: "compatible" (before 0.2) is an alias of "rfc5280". */
const PROFILE_NAMES: Readonly<Record<string, Profile>> = { rfc5280: "rfc5280", strict: "strict", compatible: "rfc5280" };
export const PROFILE_NAMES_ACCEPTED: readonly string[] = Object.keys(PROFILE_NAMES);

export function profileNamed(name: string): Profile | undefined {
  return Object.hasOwn(PROFILE_NAMES, name) ? PROFILE_NAMES[name] : undefined;
}

/** Where a certificate sits on the path. */
export interface PathRole {
  readonly isAnchor: boolean;
  /** It signed the next certificate down the path. */
  readonly issues: boolean;
}

export interface ProfileRule {
  /** Stable name: part of the API (ValidateResponse.warnings, the metric label, the README). */
  readonly id: string;
  readonly section: string;
  /** What the issuing CA changes to conform, for the log line. */
  readonly fix: string;
  /** The violation, described, or undefined when the certificate keeps the rule. */
  readonly check: (certificate: Certificate, role: PathRole) => string | undefined;
}

/** One rule one certificate breaks. */
export interface Nonconformance {
  readonly rule: string;
  readonly section: string;
  /** In the presented chain (0 = leaf); -1 for a certificate from the trust store. */
  readonly certIndex: number;
  readonly subject: string;
  /** Who issued the nonconforming certificate (who has to fix it). */
  readonly issuer: string;
  readonly fingerprint: string;
  readonly detail: string;
  readonly fix: string;
}

const extension = (certificate: Certificate, id: string) => certificate.extensions.find((e) => e.id === id);

/** A CA certificate: asserts cA, or acts as one on this path. */
const isCa = (certificate: Certificate, role: PathRole) => certificate.basicConstraints?.ca === true || role.issues;

const selfSignatures = new WeakMap<Certificate, boolean>();

/**
 * RFC 5280 uses "self-signed" for a self-issued certificate whose own key verifies it;
 * only those may omit AKI. Remembered per certificate: a root is on every path.
 */
export function selfSigned(certificate: Certificate): boolean {
  if (!certificate.selfIssued || certificate.publicKey === undefined) return false;
  let verdict = selfSignatures.get(certificate);
  if (verdict === undefined) {
    verdict = signedDataVerifies(certificate.signed, certificate.publicKey);
    selfSignatures.set(certificate, verdict);
  }
  return verdict;
}

const MAX_SERIAL_OCTETS = 20;

export const PROFILE_RULES: readonly ProfileRule[] = [
  {
    id: "authority-key-identifier-missing",
    section: "4.2.1.1",
    fix: "add authorityKeyIdentifier (openssl: authorityKeyIdentifier = keyid; Python cryptography: x509.AuthorityKeyIdentifier.from_issuer_public_key)",
    check: (c) =>
      extension(c, OID.authorityKeyIdentifier) === undefined && !selfSigned(c) ? "has no authorityKeyIdentifier and is not self-signed" : undefined,
  },
  {
    id: "subject-key-identifier-missing",
    section: "4.2.1.2",
    fix: "add subjectKeyIdentifier to CA certificates (openssl: subjectKeyIdentifier = hash; Python cryptography: x509.SubjectKeyIdentifier.from_public_key)",
    check: (c, role) =>
      isCa(c, role) && extension(c, OID.subjectKeyIdentifier) === undefined ? "is a CA certificate without subjectKeyIdentifier" : undefined,
  },
  {
    id: "basic-constraints-missing",
    section: "4.2.1.9",
    fix: "add basicConstraints = critical, CA:TRUE to CA certificates",
    check: (c, role) => (isCa(c, role) && c.basicConstraints === undefined ? "is a CA certificate without basicConstraints" : undefined),
  },
  {
    id: "basic-constraints-not-critical",
    section: "4.2.1.9",
    fix: "mark basicConstraints critical in CA certificates (openssl: basicConstraints = critical, CA:TRUE; keytool: -ext bc:c=ca:true)",
    check: (c) =>
      c.basicConstraints?.ca === true && extension(c, OID.basicConstraints)?.critical !== true ? "does not mark basicConstraints critical" : undefined,
  },
  {
    id: "policy-constraints-not-critical",
    section: "4.2.1.11",
    fix: "mark policyConstraints critical",
    check: (c) => (extension(c, OID.policyConstraints)?.critical === false ? "does not mark policyConstraints critical" : undefined),
  },
  {
    id: "key-cert-sign-without-ca",
    section: "4.2.1.3",
    fix: "assert keyCertSign only in CA certificates (basicConstraints cA=TRUE)",
    check: (c) =>
      c.keyUsage !== undefined && (c.keyUsage & KEY_USAGE.keyCertSign) !== 0 && c.basicConstraints?.ca !== true
        ? "asserts keyCertSign without basicConstraints cA"
        : undefined,
  },
  {
    id: "extended-key-usage-empty",
    section: "4.2.1.12",
    fix: "list at least one purpose in extendedKeyUsage, or leave the extension out",
    check: (c) => (c.extendedKeyUsage?.length === 0 ? "has an empty extendedKeyUsage" : undefined),
  },
  {
    id: "name-constraints-in-end-entity",
    section: "4.2.1.10",
    fix: "put nameConstraints in CA certificates only",
    check: (c) => (c.nameConstraints !== undefined && c.basicConstraints?.ca !== true ? "has nameConstraints but is not a CA certificate" : undefined),
  },
  {
    id: "name-constraint-dns-leading-period",
    section: "4.2.1.10",
    // OpenSSL and Java read ".example.com" as "below example.com"; so does certgate under rfc5280.
    fix: 'write a dNSName constraint without the leading period ("example.com" covers example.com and every name below it)',
    check: (c) => {
      const subtrees = [...(c.nameConstraints?.permitted ?? []), ...(c.nameConstraints?.excluded ?? [])];
      const dotted = subtrees.find((subtree) => subtree.name.type === "dns" && subtree.name.value.startsWith("."));
      return dotted === undefined ? undefined : `has dNSName constraint "${dotted.name.value as string}" with a leading period`;
    },
  },
  {
    id: "empty-subject-without-critical-san",
    section: "4.1.2.6, 4.2.1.6",
    fix: "give the certificate a subject, or mark its subjectAltName critical",
    check: (c) => {
      if (c.subject.rdnKeys.length > 0) return undefined;
      return extension(c, OID.subjectAltName)?.critical === true && c.subjectAltNames.length > 0
        ? undefined
        : "has an empty subject and no critical subjectAltName";
    },
  },
  {
    id: "ca-subject-empty",
    section: "4.1.2.6",
    fix: "give the CA certificate a non-empty subject",
    check: (c, role) => (isCa(c, role) && c.subject.rdnKeys.length === 0 ? "is a CA certificate with an empty subject" : undefined),
  },
  {
    id: "serial-number-not-positive",
    section: "4.1.2.2",
    fix: "issue positive serial numbers (20 random octets with the top bit clear)",
    check: (c) =>
      c.serialNumber.startsWith("-") ? `has a negative serial number (${c.serialNumber})` : /^0+$/.test(c.serialNumber) ? "has serial number 0" : undefined,
  },
  {
    id: "serial-number-too-long",
    section: "4.1.2.2",
    fix: "issue serial numbers of at most 20 octets",
    check: (c) => (c.serialOctets > MAX_SERIAL_OCTETS ? `has a serial number of ${c.serialOctets} octets` : undefined),
  },
];

/** The rule a CRL breaks when it has no cRLNumber (5.2.3): strict lets such a CRL revoke but not vouch. */
export const CRL_NUMBER_MISSING = {
  id: "crl-number-missing",
  section: "5.2.3",
  fix: "publish CRLs with a cRLNumber (openssl ca: create the crlnumber file; a CA library: set the CRL number)",
} as const;

/** Every rule `certificate` breaks in `role`; `index` is where it was presented (-1: trust store). */
export function nonconformanceOf(certificate: Certificate, role: PathRole, index: number): Nonconformance[] {
  const found: Nonconformance[] = [];
  for (const rule of PROFILE_RULES) {
    const violation = rule.check(certificate, role);
    if (violation === undefined) continue;
    found.push({
      rule: rule.id,
      section: rule.section,
      certIndex: index,
      subject: certificate.subject.text,
      issuer: certificate.issuer.text,
      fingerprint: certificate.fingerprint,
      detail: `"${certificate.subject.text}" ${violation}`,
      fix: rule.fix,
    });
  }
  return found;
}

/** One line per broken rule: `"CN=x" has ... (RFC 5280 4.2.1.1, authority-key-identifier-missing)`. */
export function describeNonconformance(found: Nonconformance): string {
  return `${found.detail} (RFC 5280 ${found.section}, ${found.rule})`;
}

/** Strict's refusal: every rule of every certificate in one message; the first certificate named is the one refused. */
export function strictRefusal(found: readonly Nonconformance[]): Failure {
  const first = found[0]!;
  const rules = found.map(describeNonconformance).join("; ");
  return fail(
    "NONCONFORMING_CERTIFICATE",
    `${rules}; truststore.profile = "rfc5280" accepts ${found.length === 1 ? "it" : "them"} with a warning`,
    first.certIndex,
  );
}
