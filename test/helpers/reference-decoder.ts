// The oracle for the strict DER decoder: the same certificate fields read a second,
// independent way, with @peculiar/asn1-x509 (an asn1js object tree) and node:crypto,
// as certgate decoded certificates before its own reader. Both sides are projected
// to plain JSON by `certificateView` and `referenceView` and compared field for field.
import { X509Certificate, createHash } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CRLDistributionPoints,
  Certificate as AsnCertificate,
  CertificatePolicies,
  ExtendedKeyUsage,
  InhibitAnyPolicy,
  KeyUsage,
  NameConstraints,
  PolicyConstraints,
  PolicyMappings,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  type AttributeValue,
  type GeneralName,
  type Name,
  type RelativeDistinguishedName,
} from "@peculiar/asn1-x509";
import { RsaSaPssParams } from "@peculiar/asn1-rsa";
import * as asn1js from "asn1js";
import type { Certificate } from "../../src/pki/certificate/certificate.ts";
import type { GeneralNameValue } from "../../src/pki/certificate/general-name.ts";
import type { DistinguishedName } from "../../src/pki/certificate/name.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const hex = (bytes: ArrayBuffer | Uint8Array | undefined | null) =>
  bytes == null ? null : Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("hex");

const SHORT_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.9": "STREET",
  "0.9.2342.19200300.100.1.25": "DC",
  "0.9.2342.19200300.100.1.1": "UID",
  "1.2.840.113549.1.9.1": "E",
  "2.5.4.5": "SERIALNUMBER",
};

function stringValue(value: AttributeValue): string | undefined {
  return value.utf8String ?? value.printableString ?? value.ia5String ?? value.bmpString ?? value.universalString ?? value.teletexString;
}

const prepared = (value: string) => value.normalize("NFKC").toLowerCase().trim().replace(/\s+/g, " ");

function escaped(value: string): string {
  let out = value.replace(/[\\,+"<>;=]/g, (c) => "\\" + c).replace(/[\u0000-\u001f]/g, (c) => "\\" + c.charCodeAt(0).toString(16).padStart(2, "0"));
  if (out.startsWith("#") || out.startsWith(" ")) out = "\\" + out;
  if (out.endsWith(" ")) out = out.slice(0, -1) + "\\ ";
  return out;
}

function rdnParts(rdn: RelativeDistinguishedName): { texts: string[]; keys: string[]; cns: string[]; emails: string[] } {
  const out = { texts: [] as string[], keys: [] as string[], cns: [] as string[], emails: [] as string[] };
  for (const attribute of rdn) {
    const value = stringValue(attribute.value);
    const raw = value === undefined ? "#" + hex(attribute.value.anyValue ?? AsnConvert.serialize(attribute.value)) : undefined;
    if (attribute.type === "2.5.4.3" && value !== undefined) out.cns.push(value);
    if (attribute.type === "1.2.840.113549.1.9.1" && value !== undefined) out.emails.push(value);
    out.texts.push(`${SHORT_NAMES[attribute.type] ?? attribute.type}=${raw ?? escaped(value!)}`);
    out.keys.push(`${attribute.type}=${raw ?? prepared(value!)}`);
  }
  return out;
}

function nameView(name: Name): Json {
  const texts: string[] = [];
  const keys: string[][] = [];
  const cns: string[] = [];
  const emails: string[] = [];
  for (const rdn of name) {
    const parts = rdnParts(rdn);
    texts.push(parts.texts.join("+"));
    keys.push(parts.keys.sort());
    cns.push(...parts.cns);
    emails.push(...parts.emails);
  }
  return {
    text: texts.reverse().join(","),
    key: JSON.stringify(keys),
    unorderedKey: JSON.stringify(keys.map((rdn) => rdn.join("+")).sort()),
    commonNames: cns,
    emails,
    rdnKeys: keys.map((rdn) => rdn.join("+")),
  };
}

function generalNameView(name: GeneralName): Json {
  if (name.dNSName !== undefined) return { type: "dns", value: name.dNSName.toLowerCase() };
  if (name.rfc822Name !== undefined) return { type: "email", value: name.rfc822Name };
  if (name.uniformResourceIdentifier !== undefined) return { type: "uri", value: name.uniformResourceIdentifier };
  if (name.iPAddress !== undefined) return { type: "ip", value: name.iPAddress };
  if (name.directoryName !== undefined) return { type: "dn", value: nameView(name.directoryName) };
  if (name.registeredID !== undefined) return { type: "registeredID", value: name.registeredID };
  if (name.otherName !== undefined) return { type: "otherName", value: name.otherName.typeId };
  return { type: name.x400Address !== undefined ? "x400Address" : "ediPartyName", value: name.x400Address !== undefined ? "x400Address" : "ediPartyName" };
}

/** The TBSCertificate bytes as asn1js located them (re-serialising would not give the received bytes). */
function tbsAsReceived(der: Uint8Array): Uint8Array {
  const parsed = asn1js.fromBER(der);
  const tbs = (parsed.result as asn1js.Sequence).valueBlock.value[0];
  if (tbs === undefined) throw new Error("no TBSCertificate");
  return new Uint8Array(tbs.valueBeforeDecodeView);
}

function signatureUnusedBits(der: Uint8Array): number {
  const signature = (asn1js.fromBER(der).result as asn1js.Sequence).valueBlock.value[2] as asn1js.BitString;
  return signature.valueBlock.unusedBits;
}

const skipCerts = (value: ArrayBuffer | undefined) => (value === undefined ? null : Number(BigInt(`0x${hex(value) || "0"}`)));

const WEAK: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.1.2": "md2",
  "1.2.840.113549.1.1.3": "md4",
  "1.2.840.113549.1.1.4": "md5",
  "1.2.840.113549.1.1.5": "sha1",
  "1.3.14.3.2.29": "sha1",
  "1.2.840.10045.4.1": "sha1",
  "1.2.840.10040.4.3": "sha1",
};

function weakHash(algorithm: string, parameters: ArrayBuffer | null | undefined): string | null {
  if (algorithm !== "1.2.840.113549.1.1.10") return WEAK[algorithm] ?? null;
  if (parameters == null) return "sha1";
  const hash = AsnConvert.parse(parameters, RsaSaPssParams).hashAlgorithm.algorithm;
  return ({ "1.2.840.113549.2.2": "md2", "1.2.840.113549.2.5": "md5", "1.3.14.3.2.26": "sha1" } as Record<string, string>)[hash] ?? null;
}

function serialView(bytes: Uint8Array): string {
  const value = BigInt.asIntN(bytes.length * 8, BigInt(`0x${hex(bytes)}`));
  const magnitude = (value < 0n ? -value : value).toString(16).toUpperCase();
  const digits = magnitude.length % 2 === 1 ? `0${magnitude}` : magnitude;
  return value < 0n ? `-${digits}` : digits;
}

/** The projection of an asn1-x509 decode; throws where that library (or OpenSSL) refuses the input. */
export function referenceView(der: Uint8Array): Json {
  const x509 = new X509Certificate(der);
  const asn = AsnConvert.parse(der, AsnCertificate);
  const tbs = asn.tbsCertificate;
  const extensions: { id: string; critical: boolean }[] = [];
  const view: { [key: string]: Json } = {
    basicConstraints: null,
    keyUsage: null,
    extendedKeyUsage: null,
    subjectKeyId: null,
    authorityKeyId: null,
    subjectAltNames: [],
    nameConstraints: null,
    policies: { identifiers: null, mappings: [], requireExplicitPolicy: null, inhibitPolicyMapping: null, inhibitAnyPolicy: null },
    distributionPoints: [],
    ocspUrls: [],
  };
  const policies = view.policies as { [key: string]: Json };
  for (const extension of tbs.extensions ?? []) {
    extensions.push({ id: extension.extnID, critical: extension.critical });
    const value = <T>(type: new () => T): T => AsnConvert.parse(extension.extnValue, type);
    switch (extension.extnID) {
      case "2.5.29.19": {
        const bc = value(BasicConstraints);
        view.basicConstraints = { ca: bc.cA, pathLength: bc.pathLenConstraint ?? null };
        break;
      }
      case "2.5.29.15":
        // toNumber(): bit n of the ASN.1 value is 1 << n.
        view.keyUsage = value(KeyUsage).toNumber();
        break;
      case "2.5.29.37":
        view.extendedKeyUsage = [...value(ExtendedKeyUsage)];
        break;
      case "2.5.29.14":
        view.subjectKeyId = hex(value(SubjectKeyIdentifier).buffer);
        break;
      case "2.5.29.35":
        view.authorityKeyId = hex(value(AuthorityKeyIdentifier).keyIdentifier?.buffer);
        break;
      case "2.5.29.17":
        view.subjectAltNames = [...value(SubjectAlternativeName)].map(generalNameView);
        break;
      case "2.5.29.30": {
        const nc = value(NameConstraints);
        const subtrees = (list: typeof nc.permittedSubtrees) =>
          list === undefined
            ? null
            : [...list].map((subtree) => ({ name: generalNameView(subtree.base), bounded: subtree.minimum !== 0 || subtree.maximum !== undefined }));
        view.nameConstraints = { permitted: subtrees(nc.permittedSubtrees), excluded: subtrees(nc.excludedSubtrees) ?? [] };
        break;
      }
      case "2.5.29.32":
        policies.identifiers = [...value(CertificatePolicies)].map((info) => info.policyIdentifier);
        break;
      case "2.5.29.33":
        policies.mappings = [...value(PolicyMappings)].map((m) => ({ issuerDomain: m.issuerDomainPolicy, subjectDomain: m.subjectDomainPolicy }));
        break;
      case "2.5.29.36": {
        const pc = value(PolicyConstraints);
        policies.requireExplicitPolicy = skipCerts(pc.requireExplicitPolicy);
        policies.inhibitPolicyMapping = skipCerts(pc.inhibitPolicyMapping);
        break;
      }
      case "2.5.29.54":
        policies.inhibitAnyPolicy = skipCerts(value(InhibitAnyPolicy).value);
        break;
      case "2.5.29.31":
        view.distributionPoints = [...value(CRLDistributionPoints)].map((point) => ({
          fullName: point.distributionPoint?.fullName?.map(generalNameView) ?? null,
          relativeName:
            point.distributionPoint?.nameRelativeToCRLIssuer === undefined ? null : rdnParts(point.distributionPoint.nameRelativeToCRLIssuer).keys.sort(),
          reasons: point.reasons === undefined ? null : point.reasons.toNumber(),
          crlIssuer: point.cRLIssuer?.map(generalNameView) ?? null,
        }));
        break;
      case "1.3.6.1.5.5.7.1.1":
        view.ocspUrls = [...value(AuthorityInfoAccessSyntax)]
          .filter((access) => access.accessMethod === "1.3.6.1.5.5.7.48.1")
          .map((access) => access.accessLocation.uniformResourceIdentifier)
          .filter((url): url is string => url !== undefined && /^https?:\/\//i.test(url));
        break;
    }
  }
  const subject = nameView(tbs.subject) as { key: string };
  const issuer = nameView(tbs.issuer) as { key: string };
  const spki = new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo));
  const inherits = tbs.subjectPublicKeyInfo.algorithm.algorithm === "1.2.840.10040.4.1" && tbs.subjectPublicKeyInfo.algorithm.parameters == null;
  return {
    version: tbs.version + 1,
    serialNumber: serialView(new Uint8Array(tbs.serialNumber)),
    fingerprint: createHash("sha256").update(der).digest("hex"),
    subject: subject as Json,
    issuer: issuer as Json,
    notBefore: tbs.validity.notBefore.getTime().toISOString(),
    notAfter: tbs.validity.notAfter.getTime().toISOString(),
    ...view,
    extensions,
    crlUrls: (view.distributionPoints as { fullName: { type: string; value: string }[] | null }[])
      .flatMap((point) => point.fullName ?? [])
      .filter((name) => name.type === "uri" && /^https?:\/\//i.test(name.value))
      .map((name) => name.value),
    subjectDer: hex(AsnConvert.serialize(tbs.subject)),
    publicKeyBits: hex(tbs.subjectPublicKeyInfo.subjectPublicKey),
    publicKeyInfo: hex(spki),
    publicKeyAlgorithm: tbs.subjectPublicKeyInfo.algorithm.algorithm,
    publicKey: inherits ? null : hex(x509.publicKey.export({ format: "der", type: "spki" })),
    tbs: hex(tbsAsReceived(der)),
    signatureAlgorithm: asn.signatureAlgorithm.algorithm,
    signatureParameters: hex(asn.signatureAlgorithm.parameters),
    // certgate keeps a signature that is not whole octets as one that never verifies.
    signature: signatureUnusedBits(der) === 0 ? hex(asn.signatureValue) : "",
    weakHash: weakHash(asn.signatureAlgorithm.algorithm, asn.signatureAlgorithm.parameters),
    signatureAlgorithmsMatch: Buffer.from(AsnConvert.serialize(tbs.signature)).equals(Buffer.from(AsnConvert.serialize(asn.signatureAlgorithm))),
    selfIssued: subject.key === issuer.key,
  };
}

function dnView(name: DistinguishedName): Json {
  return {
    text: name.text,
    key: name.key,
    unorderedKey: name.unorderedKey,
    commonNames: [...name.commonNames],
    emails: [...name.emails],
    rdnKeys: [...name.rdnKeys],
  };
}

function ownGeneralName(name: GeneralNameValue): Json {
  return name.type === "dn" ? { type: "dn", value: dnView(name.value) } : { type: name.type, value: name.value };
}

/** The same projection of certgate's own decode. */
export function certificateView(c: Certificate): Json {
  const parameters = c.signed.algorithm.parameters;
  return {
    version: c.version,
    serialNumber: c.serialNumber,
    fingerprint: c.fingerprint,
    subject: dnView(c.subject),
    issuer: dnView(c.issuer),
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    basicConstraints: c.basicConstraints === undefined ? null : { ca: c.basicConstraints.ca, pathLength: c.basicConstraints.pathLength ?? null },
    keyUsage: c.keyUsage ?? null,
    extendedKeyUsage: c.extendedKeyUsage === undefined ? null : [...c.extendedKeyUsage],
    subjectKeyId: c.subjectKeyId ?? null,
    authorityKeyId: c.authorityKeyId ?? null,
    subjectAltNames: c.subjectAltNames.map(ownGeneralName),
    nameConstraints:
      c.nameConstraints === undefined
        ? null
        : {
            permitted: c.nameConstraints.permitted?.map((s) => ({ name: ownGeneralName(s.name), bounded: s.bounded })) ?? null,
            excluded: c.nameConstraints.excluded.map((s) => ({ name: ownGeneralName(s.name), bounded: s.bounded })),
          },
    policies: {
      identifiers: c.policies.identifiers === undefined ? null : [...c.policies.identifiers],
      mappings: c.policies.mappings.map((m) => ({ issuerDomain: m.issuerDomain, subjectDomain: m.subjectDomain })),
      requireExplicitPolicy: c.policies.requireExplicitPolicy ?? null,
      inhibitPolicyMapping: c.policies.inhibitPolicyMapping ?? null,
      inhibitAnyPolicy: c.policies.inhibitAnyPolicy ?? null,
    },
    distributionPoints: c.distributionPoints.map((p) => ({
      fullName: p.fullName?.map(ownGeneralName) ?? null,
      relativeName: p.relativeName === undefined ? null : [...p.relativeName],
      reasons: p.reasons ?? null,
      crlIssuer: p.crlIssuer?.map(ownGeneralName) ?? null,
    })),
    ocspUrls: [...c.ocspUrls],
    extensions: c.extensions.map((e) => ({ id: e.id, critical: e.critical })),
    crlUrls: [...c.crlUrls],
    subjectDer: hex(c.subjectDer),
    publicKeyBits: hex(c.publicKeyBits),
    publicKeyInfo: hex(c.publicKeyInfo),
    publicKeyAlgorithm: c.publicKeyAlgorithm,
    publicKey: c.publicKey === undefined ? null : hex(c.publicKey.export({ format: "der", type: "spki" })),
    tbs: hex(c.signed.tbs),
    signatureAlgorithm: c.signed.algorithm.oid,
    // asn1-x509 reads NULL parameters as absent.
    signatureParameters: parameters === undefined || hex(parameters) === "0500" ? null : hex(parameters),
    signature: hex(c.signed.signature),
    weakHash: c.weakHash ?? null,
    signatureAlgorithmsMatch: c.signatureAlgorithmsMatch,
    selfIssued: c.selfIssued,
  };
}
