// SubjectPublicKeyInfo (RFC 5280 4.1.2.7): checked for its structure when the
// certificate is decoded, loaded into node:crypto only when the key verifies
// something (a CA's key, a self-signed certificate's). A client's own key is never
// used by validation (its TLS handshake proved possession), so a never-seen leaf
// costs no key load.
import { X509Certificate, type KeyObject } from "node:crypto";
import { pssParameters } from "./signature.ts";
import { DerCursor, DerError, TAG, bitString, encoding, expectTag, integerBytes, nullValue, objectIdentifier, type Element } from "../der.ts";

const ALGORITHM = {
  rsa: "1.2.840.113549.1.1.1",
  rsaPss: "1.2.840.113549.1.1.10",
  ec: "1.2.840.10045.2.1",
  dsa: "1.2.840.10040.4.1",
  ed25519: "1.3.101.112",
  ed448: "1.3.101.113",
  x25519: "1.3.101.110",
  x448: "1.3.101.111",
} as const;

interface Curve {
  /** Coordinate size in octets. */
  readonly size: number;
  /** y^2 = x^3 + ax + b over GF(p), for the on-curve check; absent: only the size is checked. */
  readonly equation?: { readonly p: bigint; readonly a: bigint; readonly b: bigint };
}

/** Named curves node:crypto loads, by OID. */
const CURVES: Readonly<Record<string, Curve>> = {
  "1.2.840.10045.3.1.7": {
    size: 32,
    equation: { p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n, a: -3n, b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn },
  }, // P-256
  "1.3.132.0.34": {
    size: 48,
    equation: {
      p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
      a: -3n,
      b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    },
  }, // P-384
  "1.3.132.0.35": {
    size: 66,
    equation: {
      p: 2n ** 521n - 1n,
      a: -3n,
      b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
    },
  }, // P-521
  "1.3.132.0.10": { size: 32, equation: { p: 2n ** 256n - 2n ** 32n - 977n, a: 0n, b: 7n } }, // secp256k1
  "1.3.36.3.3.2.8.1.1.7": { size: 32 }, // brainpoolP256r1
  "1.3.36.3.3.2.8.1.1.11": { size: 48 }, // brainpoolP384r1
  "1.3.36.3.3.2.8.1.1.13": { size: 64 }, // brainpoolP512r1
};

/** Raw key sizes of the algorithms whose key is a bare octet string (RFC 8410). */
const OCTET_KEY_SIZES: Readonly<Record<string, number>> = { [ALGORITHM.ed25519]: 32, [ALGORITHM.ed448]: 57, [ALGORITHM.x25519]: 32, [ALGORITHM.x448]: 56 };

export interface PublicKeyInfo {
  readonly algorithm: string;
  /** The whole SubjectPublicKeyInfo, for completing an inherited DSA key. */
  readonly info: Uint8Array;
  /** The subjectPublicKey bits: what an OCSP CertID's issuerKeyHash hashes. */
  readonly bits: Uint8Array;
  /** A DSA key without parameters: they come from the issuer's key (RFC 5280 6.1.4 (e)-(f)). */
  readonly inheritsParameters: boolean;
}

function positiveInteger(bytes: Uint8Array, element: Element, what: string): void {
  const value = integerBytes(bytes, element);
  if ((value[0]! & 0x80) !== 0 || (value.length === 1 && value[0] === 0)) throw new DerError(`${what} is not a positive integer`);
}

function rsaKey(key: Uint8Array): void {
  const fields = new DerCursor(key, readKey(key, TAG.SEQUENCE));
  positiveInteger(key, fields.next(), "RSA modulus");
  positiveInteger(key, fields.next(), "RSA exponent");
  fields.finish();
}

function readKey(key: Uint8Array, tag: number): Element {
  const cursor = new DerCursor(key, { tag: TAG.SEQUENCE, start: 0, contentStart: 0, end: key.length });
  const element = cursor.next(tag);
  cursor.finish();
  return element;
}

const integer = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString("hex")}`);

/**
 * The point's encoding fits its curve, and an uncompressed point of a curve with a
 * known equation lies on it (what OpenSSL checks when it loads the key, here without
 * loading it: a few big-integer products).
 */
function ecPoint(key: Uint8Array, curve: Curve): void {
  const { size, equation } = curve;
  const uncompressed = key[0] === 0x04 && key.length === 1 + 2 * size;
  const compressed = (key[0] === 0x02 || key[0] === 0x03) && key.length === 1 + size;
  if (!uncompressed && !compressed) throw new DerError("EC public key is not a point of its curve's size");
  if (!uncompressed || equation === undefined) return;
  const { p, a, b } = equation;
  const x = integer(key.subarray(1, 1 + size));
  const y = integer(key.subarray(1 + size));
  const mod = (v: bigint) => ((v % p) + p) % p;
  if (x >= p || y >= p || mod(y * y) !== mod(x * x * x + a * x + b)) throw new DerError("EC public key is not a point on its curve");
}

function dsaParameters(bytes: Uint8Array, element: Element): void {
  expectTag(element, TAG.SEQUENCE);
  const fields = new DerCursor(bytes, element);
  for (const name of ["p", "q", "g"]) positiveInteger(bytes, fields.next(), `DSA ${name}`);
  fields.finish();
}

/** The algorithm's parameters and key bits must have the shape node:crypto expects; anything else is malformed. */
function checkKey(algorithm: string, bytes: Uint8Array, parameters: Element | undefined, key: Uint8Array): boolean {
  switch (algorithm) {
    case ALGORITHM.rsa:
      if (parameters !== undefined) nullValue(bytes, parameters);
      rsaKey(key);
      return false;
    case ALGORITHM.rsaPss:
      // A key restricted to RSASSA-PSS may carry the parameters it must be used with (RFC 4055 3.1).
      if (parameters !== undefined) pssParameters(encoding(bytes, parameters));
      rsaKey(key);
      return false;
    case ALGORITHM.ec: {
      const curve = parameters === undefined || parameters.tag !== TAG.OID ? undefined : CURVES[objectIdentifier(bytes, parameters)];
      if (curve === undefined) throw new DerError("EC public key without a supported named curve");
      ecPoint(key, curve);
      return false;
    }
    case ALGORITHM.dsa:
      if (parameters !== undefined) dsaParameters(bytes, parameters);
      positiveInteger(key, readKey(key, TAG.INTEGER), "DSA public key");
      return parameters === undefined;
    default: {
      const size = OCTET_KEY_SIZES[algorithm];
      if (size === undefined) throw new DerError(`unsupported public key algorithm ${algorithm}`);
      if (parameters !== undefined) throw new DerError(`${algorithm} key with parameters`);
      if (key.length !== size) throw new DerError(`${algorithm} key of ${key.length} octets`);
      return false;
    }
  }
}

/** SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }. */
export function publicKeyInfo(bytes: Uint8Array, element: Element): PublicKeyInfo {
  const fields = new DerCursor(bytes, element);
  const algorithmElement = fields.next(TAG.SEQUENCE);
  const key = bitString(bytes, fields.next(TAG.BIT_STRING));
  fields.finish();
  if (key.unusedBits !== 0) throw new DerError("subjectPublicKey is not a whole number of octets");
  const algorithmFields = new DerCursor(bytes, algorithmElement);
  const algorithm = objectIdentifier(bytes, algorithmFields.next());
  const parameters = algorithmFields.done ? undefined : algorithmFields.next();
  algorithmFields.finish();
  const inheritsParameters = checkKey(algorithm, bytes, parameters, key.bytes);
  return { algorithm, info: encoding(bytes, element), bits: key.bytes, inheritsParameters };
}

/**
 * The key of the certificate `der`, loaded on first use: X509Certificate's key loads
 * faster than createPublicKey(spki), and OpenSSL's parse of the whole certificate is a
 * second opinion on a certificate that will vouch for others. undefined when it
 * cannot be loaded (its signatures then never verify) or inherits DSA parameters.
 */
export function lazyPublicKey(der: Uint8Array, info: PublicKeyInfo): () => KeyObject | undefined {
  let key: KeyObject | undefined | null = null;
  return () => {
    if (key === null) {
      try {
        const certificate = new X509Certificate(der);
        key = info.inheritsParameters ? undefined : certificate.publicKey;
      } catch {
        key = undefined;
      }
    }
    return key;
  };
}

/** Whether the key of `der` loads (checked for trust material at start). */
export function keyLoads(der: Uint8Array, info: PublicKeyInfo): boolean {
  return info.inheritsParameters || lazyPublicKey(der, info)() !== undefined;
}
