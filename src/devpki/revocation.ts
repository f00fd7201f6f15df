// CRLs and OCSP responses for the dev PKI and the tests: what a CA and an OCSP
// responder would publish, generated with the same libraries certgate reads them with.
import { KeyObject, createHash, sign, type webcrypto } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, Certificate as AsnCertificate, CRLReason, Name } from "@peculiar/asn1-x509";
import {
  BasicOCSPResponse,
  CertID,
  CertStatus,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
} from "@peculiar/asn1-ocsp";
import type { Authority, Issued } from "./ca.ts";
import * as x509 from "./x509.ts";

export interface CrlEntry {
  /** Hex serial of the revoked certificate. */
  readonly serialNumber: string;
  readonly reason?: x509.X509CrlReason;
  readonly revokedAt?: Date;
  /** Entry extensions (e.g. certificateIssuer of an indirect CRL). */
  readonly extensions?: readonly x509.Extension[];
}

export interface CrlOptions {
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly entries?: readonly CrlEntry[];
  readonly number?: number;
  /** How the cRLNumber extension is issued: non-critical (default, as RFC 5280 5.2.3 requires), critical, or not at all (defects). */
  readonly numberExtension?: "normal" | "critical" | "none";
  /** Makes this a delta CRL on the base CRL with that number. */
  readonly deltaOf?: number;
  readonly extraExtensions?: readonly x509.Extension[];
  /** Sign with another key than the CA's (a forged CRL). */
  readonly signingKey?: webcrypto.CryptoKey;
}

function integerExtension(oid: string, value: number, critical: boolean): x509.Extension {
  // INTEGER, DER: 0x02 len bytes (non-negative, minimal)
  const bytes: number[] = [];
  let n = value;
  do {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  } while (n > 0);
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return new x509.Extension(oid, critical, new Uint8Array([0x02, bytes.length, ...bytes]));
}

/** A CRL of `authority`, DER. */
export async function issueCrl(authority: Authority, options: CrlOptions): Promise<Uint8Array> {
  const numbering = options.numberExtension ?? "normal";
  const extensions: x509.Extension[] = numbering === "none" ? [] : [integerExtension("2.5.29.20", options.number ?? 1, numbering === "critical")];
  if (options.deltaOf !== undefined) extensions.push(integerExtension("2.5.29.27", options.deltaOf, true));
  const crl = await x509.X509CrlGenerator.create({
    issuer: authority.issued.cert.subject,
    thisUpdate: options.thisUpdate,
    nextUpdate: options.nextUpdate,
    signingKey: options.signingKey ?? authority.issued.keys.privateKey,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } as webcrypto.EcdsaParams,
    extensions: [...extensions, ...(options.extraExtensions ?? [])],
    entries: (options.entries ?? []).map((entry) => ({
      serialNumber: entry.serialNumber,
      revocationDate: entry.revokedAt ?? options.thisUpdate,
      ...(entry.reason === undefined ? {} : { reason: entry.reason }),
      ...(entry.extensions === undefined ? {} : { extensions: [...entry.extensions] }),
    })),
  });
  return new Uint8Array(crl.rawData);
}

export interface OcspEntry {
  readonly certificate: Issued;
  readonly status: "good" | "revoked" | "unknown";
  readonly reason?: number;
}

export interface OcspOptions {
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly entries: readonly OcspEntry[];
  /** The CA whose certificates the entries are (CertIDs are built from it). */
  readonly issuer: Authority;
  /** Who signs: the CA itself (default) or a delegated responder certificate it issued. */
  readonly signer?: Issued;
}

/** A DER OCSPResponse (successful, basic) with SHA-1 CertIDs, ECDSA-SHA256 signed. */
export function issueOcspResponse(options: OcspOptions): Uint8Array {
  const issuerCert = AsnConvert.parse(options.issuer.der, AsnCertificate);
  const nameHash = createHash("sha1")
    .update(new Uint8Array(AsnConvert.serialize(issuerCert.tbsCertificate.subject)))
    .digest();
  const keyHash = createHash("sha1").update(new Uint8Array(issuerCert.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey)).digest();
  const signer = options.signer ?? options.issuer.issued;
  const signerCert = AsnConvert.parse(signer.der, AsnCertificate);
  const responses = options.entries.map((entry) => {
    const serial = AsnConvert.parse(entry.certificate.der, AsnCertificate).tbsCertificate.serialNumber;
    const certStatus =
      entry.status === "good"
        ? new CertStatus({ good: null })
        : entry.status === "revoked"
          ? new CertStatus({
              revoked: new RevokedInfo({
                revocationTime: options.thisUpdate,
                ...(entry.reason === undefined ? {} : { revocationReason: new CRLReason(entry.reason) }),
              }),
            })
          : new CertStatus({ unknown: null });
    return new SingleResponse({
      certID: new CertID({
        hashAlgorithm: new AlgorithmIdentifier({ algorithm: "1.3.14.3.2.26", parameters: null }),
        issuerNameHash: new OctetString(nameHash),
        issuerKeyHash: new OctetString(keyHash),
        serialNumber: serial,
      }),
      certStatus,
      thisUpdate: options.thisUpdate,
      ...(options.nextUpdate === undefined ? {} : { nextUpdate: options.nextUpdate }),
    });
  });
  const data = new ResponseData({
    responderID: new ResponderID({ byName: AsnConvert.parse(AsnConvert.serialize(signerCert.tbsCertificate.subject), Name) }),
    producedAt: options.thisUpdate,
    responses,
  });
  const tbs = new Uint8Array(AsnConvert.serialize(data));
  const signature = sign("sha256", tbs, KeyObject.from(signer.keys.privateKey));
  const basic = new BasicOCSPResponse({
    tbsResponseData: data,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: "1.2.840.10045.4.3.2" }),
    signature: new Uint8Array(signature).buffer,
    ...(options.signer === undefined ? {} : { certs: [signerCert] }),
  });
  const response = new OCSPResponse({
    responseStatus: OCSPResponseStatus.successful,
    responseBytes: new ResponseBytes({ responseType: "1.3.6.1.5.5.7.48.1.1", response: new OctetString(AsnConvert.serialize(basic)) }),
  });
  return new Uint8Array(AsnConvert.serialize(response));
}
