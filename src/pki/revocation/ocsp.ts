// OCSP (RFC 6960): requests built and responses decoded with @peculiar/asn1-ocsp;
// a response is judged against the verified path (issuer or delegated responder
// signature, CertID, freshness) with node:crypto, synchronously, in the core.
import { createHash, type KeyObject } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { BasicOCSPResponse, CertID, OCSPRequest, OCSPResponse, OCSPResponseStatus, Request, TBSRequest } from "@peculiar/asn1-ocsp";
import { unusable, type Unusable } from "../../reason.ts";
import type { ProblemWhy } from "./problem.ts";
import { decodeCertificate, serialBytes, serialText, type Certificate } from "../certificate/certificate.ts";
import { CRL_REASONS } from "./crl.ts";
import { firstInnerSequence } from "../der.ts";
import { OID } from "../certificate/extensions.ts";
import { distinguishedNameFromDer } from "../certificate/name.ts";
import { algorithmFromAsn, signedBy, signedDataVerifies, type SignedData } from "../certificate/signature.ts";

const OID_BASIC_RESPONSE = "1.3.6.1.5.5.7.48.1.1";
const HASHES: Readonly<Record<string, string>> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};
/** A response without nextUpdate is taken as fresh this long after thisUpdate. */
const NO_NEXT_UPDATE_MAX_AGE_MS = 60 * 60 * 1000;
/** Clock skew tolerated on thisUpdate. */
const SKEW_MS = 5 * 60 * 1000;

export interface OcspSingle {
  readonly hashAlgorithm: string;
  readonly issuerNameHash: string;
  readonly issuerKeyHash: string;
  /** Upper-case hex, as Certificate.serialNumber. */
  readonly serialNumber: string;
  readonly status: "good" | "revoked" | "unknown";
  readonly reason: string | undefined;
  readonly thisUpdate: number;
  readonly nextUpdate: number | undefined;
}

export interface OcspResponse {
  readonly singles: readonly OcspSingle[];
  readonly responder: { readonly nameKey: string | undefined; readonly keyHash: string | undefined };
  readonly certificates: readonly Certificate[];
  readonly signed: SignedData;
}

const hex = (bytes: ArrayBuffer | Uint8Array) => Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("hex");

/** Decodes a DER OCSPResponse; a reason string when it is unusable. */
export type DecodedOcspResponse = { readonly ok: true; readonly response: OcspResponse } | Unusable;

export function decodeOcspResponse(der: Uint8Array): DecodedOcspResponse {
  let outer: OCSPResponse;
  try {
    outer = AsnConvert.parse(der, OCSPResponse);
  } catch {
    return unusable("not an OCSPResponse");
  }
  const status = outer.responseStatus;
  if (status !== OCSPResponseStatus.successful) return unusable(`responder answered ${OCSPResponseStatus[status] ?? status}`);
  if (outer.responseBytes?.responseType !== OID_BASIC_RESPONSE) return unusable("not a basic OCSP response");
  const basicDer = new Uint8Array(outer.responseBytes.response.buffer);
  try {
    const basic = AsnConvert.parse(basicDer, BasicOCSPResponse);
    const tbs = firstInnerSequence(basicDer);
    if (tbs === undefined) return unusable("no ResponseData");
    const data = basic.tbsResponseData;
    const certificates: Certificate[] = [];
    for (const certificate of basic.certs ?? []) {
      const decoded = decodeCertificate(new Uint8Array(AsnConvert.serialize(certificate)));
      if (decoded.ok) certificates.push(decoded.certificate);
    }
    const response: OcspResponse = {
      singles: data.responses.map((single) => ({
        hashAlgorithm: single.certID.hashAlgorithm.algorithm,
        issuerNameHash: hex(single.certID.issuerNameHash.buffer),
        issuerKeyHash: hex(single.certID.issuerKeyHash.buffer),
        serialNumber: serialText(new Uint8Array(single.certID.serialNumber)),
        status: single.certStatus.revoked !== undefined ? "revoked" : single.certStatus.unknown !== undefined ? "unknown" : "good",
        reason: single.certStatus.revoked?.revocationReason === undefined ? undefined : CRL_REASONS[single.certStatus.revoked.revocationReason.reason],
        thisUpdate: single.thisUpdate.getTime(),
        nextUpdate: single.nextUpdate?.getTime(),
      })),
      responder: {
        nameKey:
          data.responderID.byName === undefined ? undefined : distinguishedNameFromDer(new Uint8Array(AsnConvert.serialize(data.responderID.byName))).key,
        keyHash: data.responderID.byKey === undefined ? undefined : hex(data.responderID.byKey.buffer),
      },
      certificates,
      signed: { tbs, algorithm: algorithmFromAsn(basic.signatureAlgorithm), signature: new Uint8Array(basic.signature) },
    };
    return { ok: true, response };
  } catch (error) {
    return unusable(`cannot be parsed (${(error as Error).message.slice(0, 120)})`);
  }
}

function certIdHashes(issuer: Certificate, algorithm: string): { name: string; key: string } | undefined {
  const hash = HASHES[algorithm];
  if (hash === undefined) return undefined;
  return { name: createHash(hash).update(issuer.subjectDer).digest("hex"), key: createHash(hash).update(issuer.publicKeyBits).digest("hex") };
}

/** The DER OCSPRequest for one certificate (SHA-1 CertID, as RFC 5019 responders expect; no nonce, so answers can be cached). */
export function encodeOcspRequest(certificate: Certificate, issuer: Certificate): Uint8Array {
  const hashes = certIdHashes(issuer, "1.3.14.3.2.26")!;
  const certId = new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: "1.3.14.3.2.26", parameters: null }),
    issuerNameHash: new OctetString(Buffer.from(hashes.name, "hex")),
    issuerKeyHash: new OctetString(Buffer.from(hashes.key, "hex")),
    serialNumber: serialBytes(certificate.serialNumber).slice().buffer,
  });
  return new Uint8Array(AsnConvert.serialize(new OCSPRequest({ tbsRequest: new TBSRequest({ requestList: [new Request({ reqCert: certId })] }) })));
}

export type OcspVerdict =
  | { readonly state: "good"; readonly until: number }
  | { readonly state: "revoked"; readonly reason: string }
  | { readonly state: "unusable"; readonly why: ProblemWhy; readonly detail: string }
  | undefined;

/** Who signed the response and with which key: the issuer itself, or a responder it delegated with id-kp-OCSPSigning. */
function signerOf(
  response: OcspResponse,
  issuer: Certificate,
  issuerKey: KeyObject,
  at: Date,
): { certificate: Certificate; key: KeyObject | undefined } | undefined {
  const named = (c: Certificate) =>
    response.responder.nameKey === c.subject.key || response.responder.keyHash === createHash("sha1").update(c.publicKeyBits).digest("hex");
  if (named(issuer)) return { certificate: issuer, key: issuerKey };
  const delegate = response.certificates.find(
    (candidate) =>
      named(candidate) &&
      candidate.issuer.key === issuer.subject.key &&
      signedDataVerifies(candidate.signed, issuerKey) &&
      (candidate.extendedKeyUsage ?? []).includes(OID.ocspSigning) &&
      at >= candidate.notBefore &&
      at <= candidate.notAfter,
  );
  return delegate === undefined ? undefined : { certificate: delegate, key: delegate.publicKey };
}

/** The status this response gives `certificate` at `at`; undefined when it says nothing about it. */
export function judgeOcspResponse(
  response: OcspResponse,
  certificate: Certificate,
  issuer: Certificate,
  issuerKey: KeyObject | undefined,
  at: Date,
): OcspVerdict {
  const single = response.singles.find((s) => {
    const hashes = certIdHashes(issuer, s.hashAlgorithm);
    return hashes !== undefined && s.serialNumber === certificate.serialNumber && s.issuerNameHash === hashes.name && s.issuerKeyHash === hashes.key;
  });
  if (single === undefined) return undefined;
  const signer = issuerKey === undefined ? undefined : signerOf(response, issuer, issuerKey, at);
  if (signer === undefined) return { state: "unusable", why: "untrusted", detail: "OCSP response is not signed by the issuer or a delegated OCSP responder" };
  if (!signedBy(response.signed, signer.certificate, signer.key)) {
    return { state: "unusable", why: "untrusted", detail: "OCSP response signature does not verify" };
  }
  const now = at.getTime();
  const until = single.nextUpdate ?? single.thisUpdate + NO_NEXT_UPDATE_MAX_AGE_MS;
  if (single.thisUpdate > now + SKEW_MS) return { state: "unusable", why: "stale", detail: "OCSP response thisUpdate is in the future" };
  if (now > until) return { state: "unusable", why: "stale", detail: "OCSP response is stale (past nextUpdate)" };
  if (single.status === "revoked") return { state: "revoked", reason: single.reason ?? "unspecified" };
  if (single.status === "unknown") return { state: "unusable", why: "unknown", detail: "OCSP responder does not know the certificate" };
  return { state: "good", until };
}
