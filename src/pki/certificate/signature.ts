// Signature algorithms: which hash a signature rests on (to refuse MD5 and, unless
// allowed, SHA-1) and the check itself, by node:crypto over the signed bytes as
// received. Certificates, CRLs and OCSP answers all come through here; the verdicts
// on held structures (CRLs, OCSP answers) are remembered per signer, since an answer
// is held for many requests and its signature does not change between them.
import { constants, verify, type KeyObject } from "node:crypto";
import type { AlgorithmIdentifier as AsnAlgorithmIdentifier } from "@peculiar/asn1-x509";
import { DerCursor, DerError, TAG, contextTag, expectTag, integerBytes, objectIdentifier, readSingle, smallInteger, type Element } from "../der.ts";

/** An AlgorithmIdentifier: its OID and the DER of its parameters, when present. */
export interface AlgorithmIdentifier {
  readonly oid: string;
  readonly parameters: Uint8Array | undefined;
}

/** The signed part of a certificate, CRL or OCSP response, its algorithm and signature. */
export interface SignedData {
  readonly tbs: Uint8Array;
  readonly algorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
}

export type WeakHash = "md2" | "md4" | "md5" | "sha1";

type KeyType = "rsa" | "rsa-pss" | "ec" | "dsa" | "ed25519" | "ed448";

interface Scheme {
  /** node:crypto's digest name; null: the algorithm hashes internally (EdDSA). */
  readonly hash: string | null;
  readonly keyTypes: readonly KeyType[];
  /** RSA PKCS#1 v1.5 takes NULL (or absent) parameters; ECDSA, DSA and EdDSA none. */
  readonly parameters: "null-or-absent" | "absent";
}

const RSA: readonly KeyType[] = ["rsa"];
const rsa = (hash: string): Scheme => ({ hash, keyTypes: RSA, parameters: "null-or-absent" });
const ecdsa = (hash: string): Scheme => ({ hash, keyTypes: ["ec"], parameters: "absent" });
const dsa = (hash: string): Scheme => ({ hash, keyTypes: ["dsa"], parameters: "absent" });

const SCHEMES: Readonly<Record<string, Scheme>> = {
  "1.2.840.113549.1.1.4": rsa("md5"),
  "1.2.840.113549.1.1.5": rsa("sha1"),
  "1.3.14.3.2.29": rsa("sha1"),
  "1.2.840.113549.1.1.14": rsa("sha224"),
  "1.2.840.113549.1.1.11": rsa("sha256"),
  "1.2.840.113549.1.1.12": rsa("sha384"),
  "1.2.840.113549.1.1.13": rsa("sha512"),
  "1.2.840.10045.4.1": ecdsa("sha1"),
  "1.2.840.10045.4.3.1": ecdsa("sha224"),
  "1.2.840.10045.4.3.2": ecdsa("sha256"),
  "1.2.840.10045.4.3.3": ecdsa("sha384"),
  "1.2.840.10045.4.3.4": ecdsa("sha512"),
  "1.2.840.10040.4.3": dsa("sha1"),
  "2.16.840.1.101.3.4.3.1": dsa("sha224"),
  "2.16.840.1.101.3.4.3.2": dsa("sha256"),
  "1.3.101.112": { hash: null, keyTypes: ["ed25519"], parameters: "absent" },
  "1.3.101.113": { hash: null, keyTypes: ["ed448"], parameters: "absent" },
};

const WEAK_BY_SIGNATURE_OID: Readonly<Record<string, WeakHash>> = {
  "1.2.840.113549.1.1.2": "md2",
  "1.2.840.113549.1.1.3": "md4",
  "1.2.840.113549.1.1.4": "md5",
  "1.2.840.113549.1.1.5": "sha1",
  "1.3.14.3.2.29": "sha1",
  "1.2.840.10045.4.1": "sha1",
  "1.2.840.10040.4.3": "sha1",
};

const HASH_BY_DIGEST_OID: Readonly<Record<string, string>> = {
  "1.2.840.113549.2.2": "md2",
  "1.2.840.113549.2.5": "md5",
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.4": "sha224",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

const OID_RSASSA_PSS = "1.2.840.113549.1.1.10";
const OID_MGF1 = "1.2.840.113549.1.1.8";

interface PssParameters {
  readonly hash: string;
  readonly saltLength: number;
}

/** A hash AlgorithmIdentifier's digest name (its parameters, if any, must be NULL). */
function hashAlgorithm(bytes: Uint8Array, element: Element): string {
  expectTag(element, TAG.SEQUENCE);
  const fields = new DerCursor(bytes, element);
  const oid = objectIdentifier(bytes, fields.next());
  const parameters = fields.optional(TAG.NULL);
  if (parameters !== undefined && parameters.end !== parameters.contentStart) throw new DerError("hash parameters are not NULL");
  fields.finish();
  const hash = HASH_BY_DIGEST_OID[oid];
  if (hash === undefined) throw new DerError(`unknown hash ${oid}`);
  return hash;
}

/** RSASSA-PSS-params (RFC 4055 3.1); every field has a SHA-1 default. Throws DerError on any other shape. */
export function pssParameters(parameters: Uint8Array | undefined): PssParameters {
  if (parameters === undefined) return { hash: "sha1", saltLength: 20 };
  const fields = new DerCursor(parameters, readSingle(parameters, TAG.SEQUENCE));
  const explicit = (n: number) => {
    const tagged = fields.optional(contextTag(n, true));
    if (tagged === undefined) return undefined;
    const inner = new DerCursor(parameters, tagged);
    const element = inner.next();
    inner.finish();
    return element;
  };
  const hashElement = explicit(0);
  const hash = hashElement === undefined ? "sha1" : hashAlgorithm(parameters, hashElement);
  const mgfElement = explicit(1);
  if (mgfElement !== undefined) {
    expectTag(mgfElement, TAG.SEQUENCE);
    const mgf = new DerCursor(parameters, mgfElement);
    if (objectIdentifier(parameters, mgf.next()) !== OID_MGF1) throw new DerError("PSS mask generation is not MGF1");
    // node:crypto uses the signature hash for MGF1; another one cannot be verified as signed.
    if (hashAlgorithm(parameters, mgf.next(TAG.SEQUENCE)) !== hash) throw new DerError("PSS MGF1 hash differs from the signature hash");
    mgf.finish();
  } else if (hash !== "sha1") {
    throw new DerError("PSS MGF1 hash (default SHA-1) differs from the signature hash");
  }
  const saltElement = explicit(2);
  const saltLength = saltElement === undefined ? 20 : smallInteger(parameters, saltElement);
  const trailer = explicit(3);
  if (trailer !== undefined && !(integerBytes(parameters, trailer).length === 1 && integerBytes(parameters, trailer)[0] === 1))
    throw new DerError("PSS trailer field is not 1");
  fields.finish();
  return { hash, saltLength };
}

/** The weak hash a signature algorithm uses, if any. RSASSA-PSS defaults to SHA-1 (RFC 4055). */
export function weakHashOf(algorithm: AlgorithmIdentifier): WeakHash | undefined {
  if (algorithm.oid !== OID_RSASSA_PSS) return WEAK_BY_SIGNATURE_OID[algorithm.oid];
  try {
    const hash = pssParameters(algorithm.parameters).hash;
    return hash === "md2" || hash === "md5" || hash === "sha1" ? hash : undefined;
  } catch {
    return "sha1"; // unreadable parameters: treat as the weakest, never as strong
  }
}

function parametersFit(scheme: Scheme, parameters: Uint8Array | undefined): boolean {
  if (parameters === undefined) return true;
  return scheme.parameters === "null-or-absent" && parameters.length === 2 && parameters[0] === TAG.NULL && parameters[1] === 0;
}

/**
 * True only when `signature` over `data` verifies with `key` under `algorithm`, and
 * the key is of the algorithm's type. Unknown algorithms, unusable keys and
 * malformed parameters are false, never thrown.
 */
export function signatureVerifies(data: Uint8Array, algorithm: AlgorithmIdentifier, signature: Uint8Array, key: KeyObject): boolean {
  try {
    const keyType = key.asymmetricKeyType as KeyType | undefined;
    if (algorithm.oid === OID_RSASSA_PSS) {
      if (keyType !== "rsa" && keyType !== "rsa-pss") return false;
      const { hash, saltLength } = pssParameters(algorithm.parameters);
      return verify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature);
    }
    const scheme = SCHEMES[algorithm.oid];
    if (scheme === undefined || keyType === undefined || !scheme.keyTypes.includes(keyType) || !parametersFit(scheme, algorithm.parameters)) return false;
    return verify(scheme.hash, data, key, signature);
  } catch {
    return false;
  }
}

export function signedDataVerifies(signed: SignedData, key: KeyObject): boolean {
  return signatureVerifies(signed.tbs, signed.algorithm, signed.signature, key);
}

const verdicts = new WeakMap<SignedData, Map<string, boolean>>();

function verdictsOf(signed: SignedData): Map<string, boolean> {
  let bySigner = verdicts.get(signed);
  if (bySigner === undefined) {
    bySigner = new Map();
    verdicts.set(signed, bySigner);
  }
  return bySigner;
}

/**
 * Whether the certificate `signer` signed `signed`, remembered per signer. `key` is
 * the signer's working public key (for a DSA key that inherits its parameters, the
 * completed one).
 */
export function signedBy(
  signed: SignedData,
  signer: { readonly fingerprint: string; readonly publicKey: KeyObject | undefined },
  key = signer.publicKey,
): boolean {
  if (key === undefined) return false;
  const bySigner = verdictsOf(signed);
  // An inherited key depends on the path, so its verdict is keyed by the key's parameters too.
  const cacheKey = key === signer.publicKey ? signer.fingerprint : `${signer.fingerprint}|${key.export({ format: "der", type: "spki" }).toString("base64")}`;
  let verdict = bySigner.get(cacheKey);
  if (verdict === undefined) {
    verdict = signedDataVerifies(signed, key);
    bySigner.set(cacheKey, verdict);
  }
  return verdict;
}

/** A verdict reached elsewhere (a worker thread checked a large CRL's signature with this signer's own key). */
export function rememberSignedBy(signed: SignedData, signerFingerprint: string, verdict: boolean): void {
  verdictsOf(signed).set(signerFingerprint, verdict);
}

/** An AlgorithmIdentifier decoded by @peculiar/asn1-x509 (OCSP), in certgate's form. */
export function algorithmFromAsn(algorithm: AsnAlgorithmIdentifier): AlgorithmIdentifier {
  return { oid: algorithm.algorithm, parameters: algorithm.parameters == null ? undefined : new Uint8Array(algorithm.parameters) };
}
