// Signature algorithms: which hash a certificate's signature rests on (to refuse
// MD5 and, unless allowed, SHA-1) and the signature check itself, by node:crypto.
import type { X509Certificate, KeyObject } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import type { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { RsaSaPssParams } from "@peculiar/asn1-rsa";

export type WeakHash = "md2" | "md4" | "md5" | "sha1";

const WEAK_BY_SIGNATURE_OID: Readonly<Record<string, WeakHash>> = {
  "1.2.840.113549.1.1.2": "md2",
  "1.2.840.113549.1.1.3": "md4",
  "1.2.840.113549.1.1.4": "md5",
  "1.2.840.113549.1.1.5": "sha1",
  "1.3.14.3.2.29": "sha1",
  "1.2.840.10045.4.1": "sha1",
  "1.2.840.10040.4.3": "sha1",
};

const WEAK_BY_HASH_OID: Readonly<Record<string, WeakHash>> = {
  "1.2.840.113549.2.2": "md2",
  "1.2.840.113549.2.5": "md5",
  "1.3.14.3.2.26": "sha1",
};

const OID_RSASSA_PSS = "1.2.840.113549.1.1.10";

/** The weak hash a signature algorithm uses, if any. RSASSA-PSS defaults to SHA-1 (RFC 4055). */
export function weakHashOf(algorithm: AlgorithmIdentifier): WeakHash | undefined {
  if (algorithm.algorithm !== OID_RSASSA_PSS) return WEAK_BY_SIGNATURE_OID[algorithm.algorithm];
  if (algorithm.parameters == null) return "sha1";
  try {
    const params = AsnConvert.parse(algorithm.parameters, RsaSaPssParams);
    return WEAK_BY_HASH_OID[params.hashAlgorithm.algorithm];
  } catch {
    return "sha1"; // unreadable parameters: treat as the weakest, never as strong
  }
}

/** node:crypto verification that never throws: an unusable key or algorithm is a failed check. */
export function signatureVerifies(certificate: X509Certificate, issuerKey: KeyObject): boolean {
  try {
    return certificate.verify(issuerKey);
  } catch {
    return false;
  }
}
