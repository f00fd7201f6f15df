// Signatures over held structures (CRLs, OCSP responses), checked once per signer:
// an answer is held for many requests and its signature does not change between them.
import type { KeyObject } from "node:crypto";
import type { AlgorithmIdentifier as AsnAlgorithmIdentifier } from "@peculiar/asn1-x509";
import { signedDataVerifies, type AlgorithmIdentifier, type SignedData } from "./signature.ts";

const verdicts = new WeakMap<SignedData, Map<string, boolean>>();

/**
 * Whether the key `signerFingerprint` names signed `signed`. `key` is the signer's
 * working public key (for a DSA key that inherits its parameters, the completed one).
 */
export function signedBy(
  signed: SignedData,
  signer: { readonly fingerprint: string; readonly publicKey: KeyObject | undefined },
  key = signer.publicKey,
): boolean {
  if (key === undefined) return false;
  let bySigner = verdicts.get(signed);
  if (bySigner === undefined) {
    bySigner = new Map();
    verdicts.set(signed, bySigner);
  }
  // An inherited key depends on the path, so its verdict is keyed by the key's parameters too.
  const cacheKey = key === signer.publicKey ? signer.fingerprint : `${signer.fingerprint}|${key.export({ format: "der", type: "spki" }).toString("base64")}`;
  let verdict = bySigner.get(cacheKey);
  if (verdict === undefined) {
    verdict = signedDataVerifies(signed, key);
    bySigner.set(cacheKey, verdict);
  }
  return verdict;
}

/** An AlgorithmIdentifier decoded by @peculiar/asn1-x509 (CRLs, OCSP), in certgate's form. */
export function algorithmFromAsn(algorithm: AsnAlgorithmIdentifier): AlgorithmIdentifier {
  return { oid: algorithm.algorithm, parameters: algorithm.parameters == null ? undefined : new Uint8Array(algorithm.parameters) };
}
