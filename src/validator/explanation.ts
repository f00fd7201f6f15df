// What an explained decision carries: every step the validator took, in order, the
// path it built, and on a refusal a hint an operator can act on. Collected only for
// requests that ask (`explain`); an unexplained request passes no tracer and pays
// nothing.
import type { Certificate } from "../pki/certificate/certificate.ts";
import type { CandidateOutcome, PathObserver } from "../pki/path/validate.ts";
import type { Failure, FailureReason } from "../reason.ts";

export type TraceStage = "input" | "route" | "path" | "check" | "revocation" | "policy" | "principal" | "access" | "decision";

export interface TraceStep {
  readonly stage: TraceStage;
  /** The presented certificate the step is about (0 = leaf); -1: none in particular, or one from the trust store. */
  readonly certIndex: number;
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface CertificateSummary {
  /** 0 = leaf; the anchor is last. */
  readonly depth: number;
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  /** "EC P-256", "RSA 2048", "Ed25519", ... */
  readonly key: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly fingerprint: string;
  readonly anchor: boolean;
  /** Where it was presented; -1: from the trust store. */
  readonly presentedIndex: number;
}

export interface Explanation {
  readonly steps: readonly TraceStep[];
  /** The path that was checked last (leaf first); empty when none was built. */
  readonly path: readonly CertificateSummary[];
  /** Whether that path passed path validation (a later stage may still refuse). */
  readonly pathVerified: boolean;
  /** On a refusal: what an operator can do about it. */
  readonly hint: string | undefined;
}

/** One line about one certificate of the path, for people. */
export function describeCertificate(certificate: CertificateSummary): string {
  const where = certificate.anchor ? "trust anchor" : certificate.presentedIndex < 0 ? "from the intermediate pool" : `presented #${certificate.presentedIndex}`;
  return [
    `subject "${certificate.subject}"`,
    `issuer "${certificate.issuer}"`,
    `serial ${certificate.serialNumber}`,
    `key ${certificate.key}`,
    `valid ${certificate.notBefore.toISOString()} to ${certificate.notAfter.toISOString()}`,
    `SHA-256 ${certificate.fingerprint}`,
    where,
  ].join("; ");
}

const CURVES: Readonly<Record<string, string>> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };

/** The key's type and size; loads the key, which only an explained request does for a leaf. */
export function keyDescription(certificate: Certificate): string {
  const key = certificate.publicKey;
  if (key === undefined) return certificate.inheritsKeyParameters ? "DSA (parameters inherited)" : `unloadable (${certificate.publicKeyAlgorithm})`;
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case "rsa":
    case "rsa-pss":
      return `${key.asymmetricKeyType === "rsa" ? "RSA" : "RSA-PSS"} ${details.modulusLength ?? "?"}`;
    case "ec":
      return `EC ${CURVES[details.namedCurve ?? ""] ?? details.namedCurve ?? "?"}`;
    case "dsa":
      return `DSA ${details.modulusLength ?? "?"}`;
    case "ed25519":
      return "Ed25519";
    case "ed448":
      return "Ed448";
    default:
      return String(key.asymmetricKeyType);
  }
}

export function summarise(path: readonly Certificate[], indexOf: (certificate: Certificate) => number): CertificateSummary[] {
  return path.map((certificate, depth) => ({
    depth,
    subject: certificate.subject.text,
    issuer: certificate.issuer.text,
    serialNumber: certificate.serialNumber,
    key: keyDescription(certificate),
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    fingerprint: certificate.fingerprint,
    anchor: depth === path.length - 1 && depth > 0,
    presentedIndex: indexOf(certificate),
  }));
}

const CANDIDATE_DETAIL: Readonly<Record<CandidateOutcome, string>> = {
  issuer: "signature verifies: taken as the issuer",
  "key identifier mismatch": "rejected: its subjectKeyIdentifier differs from the authorityKeyIdentifier",
  "bad signature": "rejected: the signature does not verify with its key",
  "not the required anchor": "rejected: not the trust anchor this path must end at",
  "signature budget spent": "not tried: the path search spent its signature checks (server.max_path_checks)",
  "already on the path": "skipped: already on the path",
};

/** Collects the steps of one explained decision; is the path observer too. */
export class Tracer implements PathObserver {
  readonly steps: TraceStep[] = [];
  path: readonly CertificateSummary[] = [];
  pathVerified = false;
  readonly #presentedIndex: (certificate: Certificate) => number;

  constructor(presentedIndex: (certificate: Certificate) => number = () => -1) {
    this.#presentedIndex = presentedIndex;
  }

  add(stage: TraceStage, check: string, outcome: Failure | undefined | { ok: true; detail: string }, certIndex = -1): void {
    if (outcome === undefined) this.steps.push({ stage, certIndex, check, ok: true, detail: "" });
    else if (outcome.ok) this.steps.push({ stage, certIndex, check, ok: true, detail: outcome.detail });
    else this.steps.push({ stage, certIndex: outcome.certIndex, check, ok: false, detail: `${outcome.reason}: ${outcome.message}` });
  }

  candidate(child: Certificate, issuer: Certificate, source: "anchor" | "presented" | "pool", outcome: CandidateOutcome): void {
    const where = source === "anchor" ? "trust anchor" : source === "presented" ? "presented certificate" : "intermediate pool";
    this.steps.push({
      stage: "path",
      certIndex: this.#presentedIndex(child),
      check: `issuer candidate for "${child.subject.text}"`,
      ok: outcome === "issuer",
      detail: `${where} "${issuer.subject.text}" (SHA-256 ${issuer.fingerprint.slice(0, 16)}...): ${CANDIDATE_DETAIL[outcome]}`,
    });
  }

  candidatePath(path: readonly Certificate[], indexOf: (certificate: Certificate) => number): void {
    this.path = summarise(path, indexOf);
  }

  check(certificate: Certificate | undefined, index: number, check: string, failure: Failure | undefined): void {
    const on = certificate === undefined ? "path" : `"${certificate.subject.text}"`;
    this.steps.push({ stage: "check", certIndex: failure?.certIndex ?? index, check: `${check} on ${on}`, ok: failure === undefined, detail: failure === undefined ? "" : `${failure.reason}: ${failure.message}` });
  }
}

/** Configuration and names a hint refers to. */
export interface HintContext {
  readonly certCns: readonly string[];
  /** The CA that signed the leaf, when a path was built. */
  readonly issuer: string | undefined;
}

const HINTS: Partial<Record<FailureReason, (failure: Failure, context: HintContext) => string>> = {
  INTERMEDIATE_CN_NOT_ALLOWED: (_, c) =>
    `issuing CA "${c.issuer ?? "?"}" is not in intermediate_cert_validation.cert_cns (${c.certCns.join(", ") || "empty"}); add its CN there, or call under an exempt context`,
  PATH_NOT_FOUND: () => "no configured trust anchor issued this chain: add its root to truststore.ca_files, or its intermediate to truststore.intermediate_files (or send the intermediate with the leaf)",
  SELF_SIGNED_CERTIFICATE: () => "a self-signed client certificate is trusted only if it is itself in truststore.ca_files; better, have a CA issue it",
  CERTIFICATE_EXPIRED: () => "renew the certificate (or check this machine's clock)",
  CERTIFICATE_NOT_YET_VALID: () => "the certificate is not valid yet: check the issuer's and this machine's clocks",
  BAD_SIGNATURE: () => "the certificate was altered, or the chain names the wrong issuer: send the chain exactly as issued",
  CHAIN_TOO_LONG: () => "send fewer certificates, or raise server.max_chain_length",
  EXTENDED_KEY_USAGE_INVALID: () => "issue the client certificate with extendedKeyUsage clientAuth",
  KEY_USAGE_INVALID: () => "the certificate's keyUsage does not fit its role: a client needs digitalSignature (or keyAgreement), a CA keyCertSign",
  NOT_A_CA: () => "the certificate that signed the next one is not a CA (basicConstraints cA=TRUE): the chain is wrong or forged",
  WEAK_SIGNATURE_ALGORITHM: () => "reissue with SHA-256 or better; truststore.allow_sha1 = true accepts SHA-1 (never MD5)",
  NONCONFORMING_CERTIFICATE: () =>
    'the path breaks RFC 5280 rules for conforming CAs (all listed above) and truststore.profile is "strict": have the CA reissue, or use the default profile "rfc5280", which accepts them with warnings',
  REVOKED: () => "the certificate was revoked by its issuer: issue a new one",
  REVOCATION_UNKNOWN: () => "no usable CRL or OCSP answer: check [revocation] crl_files/crl_dirs, fetch and ocsp, or the distribution point's reachability",
  EMPTY_CN: () => "the client certificate needs exactly one CN naming the user (or call under an exempt context with a user header)",
  AMBIGUOUS_CN: () => "the client certificate needs exactly one CN naming the user",
  INVALID_USERNAME: () => "the CN (or user header) is not a WSO2 username: [USERSTORE/]user[@tenant]",
  NO_CERTIFICATE: () => "the request carried no client certificate: make client certificates required downstream, or add an unsecured rule for this resource",
  NO_MATCHING_RULE: () => "no [[resource.access_control]] rule matches this path and method; add one, or set default_access = \"allow\"",
  NAME_CONSTRAINT_VIOLATION: () => "a name of the certificate is outside what a CA above it may certify (nameConstraints)",
  POLICY_INVALID: () => "the path is not valid for a policy required by the CAs or by truststore.required_policies",
  MALFORMED_CERTIFICATE: () => "send the certificate as DER or PEM exactly as issued",
  INVALID_SVID: () => "the leaf claims a SPIFFE ID but is not an X.509-SVID: one spiffe URI SAN with a valid ID, not a CA, keyUsage digitalSignature only; have the SPIFFE CA reissue it",
  TRUST_DOMAIN_MISMATCH: (failure) =>
    failure.message.includes("not configured")
      ? "add a [[trust_domain]] for this SPIFFE ID's trust domain with its ca_files or bundle_file"
      : failure.message.includes("proxy names")
        ? "the proxy authenticated a different peer than the certificate it forwarded: check forward_client_cert_details (SANITIZE_SET) and that XFCC is not passed through"
        : "an SVID is accepted only under its own trust domain's anchors: the issuing CA belongs to another domain (a forged or misrouted SVID), or the domain's bundle lacks this CA",
  NO_PRINCIPAL_MAPPING: () => "add a [[principal.mapping]] whose match template covers this SAN (placeholders capture whole segments; literal text must match exactly)",
  PRINCIPAL_NOT_ALLOWED: () => "the matched [[resource.access_control]] rule's trust_domains or principals do not name this client: add it there, or call a resource meant for it",
};

export function hintFor(failure: Failure, context: HintContext): string | undefined {
  return HINTS[failure.reason]?.(failure, context);
}
