// Signatures over DER structures other than certificates (CRLs, OCSP responses),
// checked with node:crypto from the AlgorithmIdentifier that names them.
import { constants, verify, type KeyObject } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import type { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { RsaSaPssParams } from "@peculiar/asn1-rsa";
import type { Certificate } from "./certificate.ts";

/** The signed part of a CRL or OCSP response, its algorithm and signature. */
export interface SignedData {
  readonly tbs: Uint8Array;
  readonly algorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
}

const HASH_BY_SIGNATURE_OID: Readonly<Record<string, string | null>> = {
  "1.2.840.113549.1.1.5": "sha1",
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
  "1.2.840.10045.4.1": "sha1",
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
  "1.3.101.112": null, // Ed25519 hashes internally
};

const HASH_BY_DIGEST_OID: Readonly<Record<string, string>> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

const OID_RSASSA_PSS = "1.2.840.113549.1.1.10";

const verdicts = new WeakMap<SignedData, Map<string, boolean>>();

/**
 * Whether `signer` signed `signed`, checked once per pair: a CRL or OCSP answer is
 * held for many requests and its signature does not change between them.
 */
export function signedBy(signed: SignedData, signer: Certificate): boolean {
  let bySigner = verdicts.get(signed);
  if (bySigner === undefined) {
    bySigner = new Map();
    verdicts.set(signed, bySigner);
  }
  let verdict = bySigner.get(signer.fingerprint);
  if (verdict === undefined) {
    verdict = signedDataVerifies(signed.tbs, signed.algorithm, signed.signature, signer.publicKey);
    bySigner.set(signer.fingerprint, verdict);
  }
  return verdict;
}

/** True only when the signature verifies; unknown algorithms and bad keys are false, never thrown. */
export function signedDataVerifies(data: Uint8Array, algorithm: AlgorithmIdentifier, signature: Uint8Array, key: KeyObject): boolean {
  try {
    if (algorithm.algorithm === OID_RSASSA_PSS) {
      if (algorithm.parameters == null) return verify("sha1", data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 }, signature);
      const params = AsnConvert.parse(algorithm.parameters, RsaSaPssParams);
      const hash = HASH_BY_DIGEST_OID[params.hashAlgorithm.algorithm];
      if (hash === undefined) return false;
      return verify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: params.saltLength }, signature);
    }
    const hash = HASH_BY_SIGNATURE_OID[algorithm.algorithm];
    if (hash === undefined) return false;
    return verify(hash, data, key, signature);
  } catch {
    return false;
  }
}
