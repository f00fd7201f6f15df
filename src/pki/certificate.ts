// One decoded certificate: node:crypto's X509Certificate for signatures and keys,
// plus what node:crypto does not expose (extension details, critical flags, the
// subject's CNs), decoded once with @peculiar/asn1-x509.
import { X509Certificate, createHash, type KeyObject } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CRLDistributionPoints,
  CertificatePolicies,
  InhibitAnyPolicy,
  PolicyConstraints,
  PolicyMappings,
  NameConstraints as AsnNameConstraints,
  SubjectAlternativeName,
  Certificate as AsnCertificate,
  ExtendedKeyUsage,
  KeyUsage,
  SubjectKeyIdentifier,
  type Extension,
} from "@peculiar/asn1-x509";
import { fail, type Failure } from "../reason.ts";
import { hasExactDerEnvelope } from "./der.ts";
import { distinguishedName, type DistinguishedName } from "./name.ts";
import { generalName, type GeneralNameValue, type NameConstraints } from "./general-name.ts";
import { weakHashOf, type WeakHash } from "./signature.ts";

export const OID = {
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  subjectAltName: "2.5.29.17",
  nameConstraints: "2.5.29.30",
  policyMappings: "2.5.29.33",
  policyConstraints: "2.5.29.36",
  inhibitAnyPolicy: "2.5.29.54",
  issuerAltName: "2.5.29.18",
  certificatePolicies: "2.5.29.32",
  crlDistributionPoints: "2.5.29.31",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
  anyExtendedKeyUsage: "2.5.29.37.0",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  serverAuth: "1.3.6.1.5.5.7.3.1",
} as const;

/**
 * Critical extensions certgate processes: path building and checks (path.ts),
 * name constraints (name-constraints.ts), policies (policy.ts). Any other critical
 * extension rejects the path, as RFC 5280 4.2 requires.
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

export const KEY_USAGE = {
  digitalSignature: 1,
  keyEncipherment: 4,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
} as const;

export interface Certificate {
  readonly der: Uint8Array;
  readonly x509: X509Certificate;
  /** Loaded once at decode: a key node:crypto cannot load makes the certificate malformed. */
  readonly publicKey: KeyObject;
  /** Lower-case hex SHA-256 of the DER. */
  readonly fingerprint: string;
  readonly subject: DistinguishedName;
  readonly issuer: DistinguishedName;
  /** Upper-case hex, as OpenSSL prints it. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** undefined: no basicConstraints extension. */
  readonly basicConstraints: { readonly ca: boolean; readonly pathLength: number | undefined } | undefined;
  /** Bit flags (KEY_USAGE); undefined: no keyUsage extension. */
  readonly keyUsage: number | undefined;
  /** OIDs; undefined: no extendedKeyUsage extension. */
  readonly extendedKeyUsage: readonly string[] | undefined;
  readonly subjectKeyId: string | undefined;
  readonly authorityKeyId: string | undefined;
  readonly unknownCriticalExtensions: readonly string[];
  /** subjectAltName entries, in a form the name-constraint checks compare. */
  readonly subjectAltNames: readonly GeneralNameValue[];
  /** The nameConstraints extension of a CA (RFC 5280 4.2.1.10), or undefined. */
  readonly nameConstraints: NameConstraints | undefined;
  /** Policy extensions (RFC 5280 4.2.1.4, .5, .11, .14), for 6.1 policy processing. */
  readonly policies: CertificatePolicyInfo;
  /** HTTP URLs of the CRL distribution points and of the OCSP responders (AIA). */
  readonly crlUrls: readonly string[];
  readonly ocspUrls: readonly string[];
  /** DER of the subject Name and the subjectPublicKey bits: what an OCSP CertID hashes when this certificate is the issuer. */
  readonly subjectDer: Uint8Array;
  readonly publicKeyBits: Uint8Array;
  readonly weakHash: WeakHash | undefined;
  /** RFC 5280 4.1.1.2: the signature field inside TBSCertificate must equal signatureAlgorithm. */
  readonly signatureAlgorithmsMatch: boolean;
  /** Subject and issuer are the same name (RFC 5280 "self-issued"). */
  readonly selfIssued: boolean;
}

function extensionValue<T>(extension: Extension, type: new () => T): T {
  return AsnConvert.parse(extension.extnValue, type);
}

interface DecodedExtensions {
  basicConstraints: Certificate["basicConstraints"];
  keyUsage: number | undefined;
  extendedKeyUsage: string[] | undefined;
  subjectKeyId: string | undefined;
  authorityKeyId: string | undefined;
  unknownCriticalExtensions: string[];
  crlUrls: string[];
  ocspUrls: string[];
  subjectAltNames: GeneralNameValue[];
  nameConstraints: NameConstraints | undefined;
  policies: CertificatePolicyInfo;
}

export interface CertificatePolicyInfo {
  /** Policy OIDs of certificatePolicies; undefined: no such extension. */
  readonly identifiers: readonly string[] | undefined;
  readonly mappings: readonly { readonly issuerDomain: string; readonly subjectDomain: string }[];
  readonly requireExplicitPolicy: number | undefined;
  readonly inhibitPolicyMapping: number | undefined;
  readonly inhibitAnyPolicy: number | undefined;
}

const skipCerts = (value: ArrayBuffer | undefined) => (value === undefined ? undefined : Number(BigInt(`0x${Buffer.from(value).toString("hex") || "0"}`)));

const OID_AD_OCSP = "1.3.6.1.5.5.7.48.1";
const isHttp = (url: string | undefined): url is string => url !== undefined && /^https?:\/\//i.test(url);

function decodeExtensions(extensions: readonly Extension[]): DecodedExtensions | string {
  const out: DecodedExtensions = {
    basicConstraints: undefined,
    keyUsage: undefined,
    extendedKeyUsage: undefined,
    subjectKeyId: undefined,
    authorityKeyId: undefined,
    unknownCriticalExtensions: [],
    crlUrls: [],
    ocspUrls: [],
    subjectAltNames: [],
    nameConstraints: undefined,
    policies: { identifiers: undefined, mappings: [], requireExplicitPolicy: undefined, inhibitPolicyMapping: undefined, inhibitAnyPolicy: undefined },
  };
  const seen = new Set<string>();
  for (const extension of extensions) {
    // RFC 5280 4.2: a certificate MUST NOT include more than one instance of an extension.
    if (seen.has(extension.extnID)) return `duplicate extension ${extension.extnID}`;
    seen.add(extension.extnID);
    if (extension.critical && !UNDERSTOOD_CRITICAL.has(extension.extnID)) out.unknownCriticalExtensions.push(extension.extnID);
    switch (extension.extnID) {
      case OID.basicConstraints: {
        const value = extensionValue(extension, BasicConstraints);
        out.basicConstraints = { ca: value.cA, pathLength: value.pathLenConstraint };
        break;
      }
      case OID.keyUsage:
        out.keyUsage = extensionValue(extension, KeyUsage).toNumber();
        break;
      case OID.extKeyUsage:
        out.extendedKeyUsage = [...extensionValue(extension, ExtendedKeyUsage)];
        break;
      case OID.subjectKeyIdentifier:
        out.subjectKeyId = Buffer.from(extensionValue(extension, SubjectKeyIdentifier).buffer).toString("hex");
        break;
      case OID.authorityKeyIdentifier: {
        const keyId = extensionValue(extension, AuthorityKeyIdentifier).keyIdentifier;
        out.authorityKeyId = keyId === undefined ? undefined : Buffer.from(keyId.buffer).toString("hex");
        break;
      }
      case OID.subjectAltName:
        out.subjectAltNames = [...extensionValue(extension, SubjectAlternativeName)].map(generalName);
        break;
      case OID.nameConstraints: {
        const value = extensionValue(extension, AsnNameConstraints);
        const subtrees = (list: typeof value.permittedSubtrees) =>
          list === undefined ? undefined : [...list].map((subtree) => ({ name: generalName(subtree.base), bounded: subtree.minimum !== 0 || subtree.maximum !== undefined }));
        out.nameConstraints = { permitted: subtrees(value.permittedSubtrees), excluded: subtrees(value.excludedSubtrees) ?? [] };
        break;
      }
      case OID.certificatePolicies:
        out.policies = { ...out.policies, identifiers: [...extensionValue(extension, CertificatePolicies)].map((info) => info.policyIdentifier) };
        break;
      case OID.policyMappings:
        out.policies = {
          ...out.policies,
          mappings: [...extensionValue(extension, PolicyMappings)].map((m) => ({ issuerDomain: m.issuerDomainPolicy, subjectDomain: m.subjectDomainPolicy })),
        };
        break;
      case OID.policyConstraints: {
        const value = extensionValue(extension, PolicyConstraints);
        out.policies = { ...out.policies, requireExplicitPolicy: skipCerts(value.requireExplicitPolicy), inhibitPolicyMapping: skipCerts(value.inhibitPolicyMapping) };
        break;
      }
      case OID.inhibitAnyPolicy:
        out.policies = { ...out.policies, inhibitAnyPolicy: skipCerts(extensionValue(extension, InhibitAnyPolicy).value) };
        break;
      case OID.crlDistributionPoints:
        out.crlUrls = [...extensionValue(extension, CRLDistributionPoints)]
          .flatMap((point) => point.distributionPoint?.fullName ?? [])
          .map((name) => name.uniformResourceIdentifier)
          .filter(isHttp);
        break;
      case OID.authorityInfoAccess:
        out.ocspUrls = [...extensionValue(extension, AuthorityInfoAccessSyntax)]
          .filter((access) => access.accessMethod === OID_AD_OCSP)
          .map((access) => access.accessLocation.uniformResourceIdentifier)
          .filter(isHttp);
        break;
    }
  }
  return out;
}

export type DecodedCertificate = { readonly ok: true; readonly certificate: Certificate } | Failure;

/** Decodes one DER certificate; `index` is its place in the presented chain, for the failure. */
export function decodeCertificate(der: Uint8Array, index = -1): DecodedCertificate {
  if (!hasExactDerEnvelope(der)) {
    return fail("MALFORMED_CERTIFICATE", `certificate ${index}: not a single DER SEQUENCE (truncated, trailing bytes or non-DER length)`, index);
  }
  try {
    const x509 = new X509Certificate(der);
    const asn = AsnConvert.parse(der, AsnCertificate);
    const tbs = asn.tbsCertificate;
    const serial = new Uint8Array(tbs.serialNumber);
    // RFC 5280 4.1.2.2: a positive integer of at most 20 octets (a leading zero octet keeps it positive).
    if (serial.length === 0 || ((serial[0] ?? 0) & 0x80) !== 0) return fail("MALFORMED_CERTIFICATE", `certificate ${index}: negative serial number`, index);
    if (serial.length > 21 || (serial.length === 21 && serial[0] !== 0)) return fail("MALFORMED_CERTIFICATE", `certificate ${index}: serial number longer than 20 octets`, index);
    const extensions = decodeExtensions(tbs.extensions ?? []);
    if (typeof extensions === "string") return fail("MALFORMED_CERTIFICATE", `certificate ${index}: ${extensions}`, index);
    const subject = distinguishedName(tbs.subject);
    const issuer = distinguishedName(tbs.issuer);
    const certificate: Certificate = {
      der,
      x509,
      publicKey: x509.publicKey,
      fingerprint: createHash("sha256").update(der).digest("hex"),
      subject,
      issuer,
      serialNumber: x509.serialNumber.toUpperCase(),
      notBefore: x509.validFromDate,
      notAfter: x509.validToDate,
      ...extensions,
      weakHash: weakHashOf(asn.signatureAlgorithm),
      subjectDer: new Uint8Array(AsnConvert.serialize(tbs.subject)),
      publicKeyBits: new Uint8Array(tbs.subjectPublicKeyInfo.subjectPublicKey),
      signatureAlgorithmsMatch: Buffer.from(AsnConvert.serialize(tbs.signature)).equals(Buffer.from(AsnConvert.serialize(asn.signatureAlgorithm))),
      selfIssued: subject.key === issuer.key,
    };
    return { ok: true, certificate };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return fail("MALFORMED_CERTIFICATE", `certificate ${index}: cannot be parsed (${detail.slice(0, 200)})`, index);
  }
}
