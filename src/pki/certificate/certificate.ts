// One decoded certificate (RFC 5280 4.1): its fields located by the strict DER
// reader and sliced from the input, its extensions decoded once, its public key
// loaded by node:crypto when first used. A never-seen certificate costs one walk
// over its bytes.
import { hash, type KeyObject } from "node:crypto";
import { fail, type Failure } from "../../reason.ts";
import {
  DerCursor,
  DerError,
  TAG,
  checkWellFormed,
  contents,
  contextTag,
  encoding,
  integerBytes,
  nullValue,
  objectIdentifier,
  readSingle,
  smallInteger,
  type Element,
} from "../der.ts";
import { time } from "../der-text.ts";
import { decodeExtensions, isHttp, type DecodedExtensions } from "./extensions.ts";
import { distinguishedName, recurringName, type DistinguishedName } from "./name.ts";
import { lazyPublicKey, publicKeyInfo, type PublicKeyInfo } from "./public-key.ts";
import { pssParameters, weakHashOf, type AlgorithmIdentifier, type SignedData, type WeakHash } from "./signature.ts";

export interface Certificate extends DecodedExtensions {
  readonly der: Uint8Array;
  /** 1, 2 or 3. */
  readonly version: number;
  /**
   * The serial number as an integer in hex, upper case ("-" for a negative one; RFC
   * 5280 4.1.2.2 asks users to handle them): equal strings mean equal integers.
   */
  readonly serialNumber: string;
  /** The serial's INTEGER contents as encoded (minimal two's complement): equal bytes mean equal integers, as CRL entries compare. */
  readonly serial: Uint8Array;
  /** Octets of the serial's magnitude (a leading zero that only keeps it positive does not count). */
  readonly serialOctets: number;
  /** What the issuer signed (TBSCertificate as received), how, and the signature. */
  readonly signed: SignedData;
  /**
   * Loaded on first use (verifying what this certificate signed); undefined when
   * node:crypto cannot load it, or when it is a DSA key whose parameters are
   * inherited from its issuer (`inheritsKeyParameters`; the path supplies them).
   */
  readonly publicKey: KeyObject | undefined;
  readonly inheritsKeyParameters: boolean;
  readonly publicKeyAlgorithm: string;
  /** Lower-case hex SHA-256 of the DER. */
  readonly fingerprint: string;
  readonly subject: DistinguishedName;
  readonly issuer: DistinguishedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** HTTP URLs of the full-name CRL distribution points. */
  readonly crlUrls: readonly string[];
  /** DER of the subject Name and the subjectPublicKey bits: what an OCSP CertID hashes when this certificate is the issuer. */
  readonly subjectDer: Uint8Array;
  readonly publicKeyBits: Uint8Array;
  /** The whole SubjectPublicKeyInfo, for completing an inherited DSA key. */
  readonly publicKeyInfo: Uint8Array;
  readonly weakHash: WeakHash | undefined;
  /** RFC 5280 4.1.1.2: the signature field inside TBSCertificate must equal signatureAlgorithm. */
  readonly signatureAlgorithmsMatch: boolean;
  /** Subject and issuer are the same name (RFC 5280 "self-issued"). */
  readonly selfIssued: boolean;
}

export type DecodedCertificate = { readonly ok: true; readonly certificate: Certificate } | Failure;

/** The integer in hex: magnitude, upper case, "-" when negative. */
export function serialText(value: Uint8Array): string {
  if ((value[0]! & 0x80) === 0) {
    const digits = Buffer.from(value[0] === 0 && value.length > 1 ? value.subarray(1) : value).toString("hex");
    return digits.toUpperCase();
  }
  // Two's complement: the magnitude of a negative value is (~value + 1).
  let magnitude = 0n;
  for (const byte of value) magnitude = (magnitude << 8n) | BigInt(~byte & 0xff);
  let digits = (magnitude + 1n).toString(16).toUpperCase();
  if (digits.length % 2 === 1) digits = `0${digits}`;
  return `-${digits}`;
}

/** The DER INTEGER contents of a serialText() string (for OCSP requests). */
export function serialBytes(text: string): Uint8Array {
  const negative = text.startsWith("-");
  let value = BigInt(`0x${negative ? text.slice(1) : text}`);
  if (negative) value = -value;
  const bytes: number[] = [];
  for (;;) {
    bytes.unshift(Number(value & 0xffn));
    const rest = value >> 8n;
    const signBit = (bytes[0]! & 0x80) !== 0;
    if ((rest === 0n && !signBit) || (rest === -1n && signBit)) break;
    value = rest;
  }
  return new Uint8Array(bytes);
}

/**
 * A signature AlgorithmIdentifier. Its parameters are absent, NULL, or (RSASSA-PSS)
 * a SEQUENCE: no signature algorithm defines another shape (RFC 4055, 5758, 8410).
 */
export function algorithmIdentifier(bytes: Uint8Array, element: Element): AlgorithmIdentifier {
  const fields = new DerCursor(bytes, element);
  const oid = objectIdentifier(bytes, fields.next());
  const parameters = fields.done ? undefined : fields.next();
  fields.finish();
  if (parameters !== undefined && parameters.tag !== TAG.SEQUENCE) nullValue(bytes, parameters);
  if (parameters !== undefined && oid === OID_RSASSA_PSS) pssParameters(encoding(bytes, parameters));
  return { oid, parameters: parameters === undefined ? undefined : encoding(bytes, parameters) };
}

function validity(bytes: Uint8Array, element: Element): { notBefore: Date; notAfter: Date } {
  const fields = new DerCursor(bytes, element);
  const notBefore = time(bytes, fields.next());
  const notAfter = time(bytes, fields.next());
  fields.finish();
  return { notBefore, notAfter };
}

const NO_SIGNATURE = new Uint8Array(0);
const OID_RSASSA_PSS = "1.2.840.113549.1.1.10";

/**
 * The signature octets. A signature that is not a whole number of octets cannot be
 * one of the algorithms' (RFC 5280 4.1.1.3): it is kept as a signature that never
 * verifies, so the answer is BAD_SIGNATURE, as OpenSSL gives, not a parse error.
 */
export function signatureValue(bytes: Uint8Array, element: Element): Uint8Array {
  const value = contents(bytes, element);
  const unusedBits = value[0];
  if (unusedBits === undefined || unusedBits > 7) throw new DerError("malformed signatureValue");
  return unusedBits === 0 ? value.subarray(1) : NO_SIGNATURE;
}

interface TbsFields {
  readonly version: number;
  readonly serial: Uint8Array;
  readonly signature: AlgorithmIdentifier;
  readonly signatureEncoding: Uint8Array;
  readonly issuer: DistinguishedName;
  readonly validity: { notBefore: Date; notAfter: Date };
  readonly subject: DistinguishedName;
  readonly subjectDer: Uint8Array;
  readonly publicKey: PublicKeyInfo;
  readonly extensions: DecodedExtensions;
}

/** TBSCertificate (RFC 5280 4.1.2), field by field. */
function tbsCertificate(bytes: Uint8Array, element: Element): TbsFields {
  const fields = new DerCursor(bytes, element);
  const versionElement = fields.optional(contextTag(0, true));
  let version = 1;
  if (versionElement !== undefined) {
    const inner = new DerCursor(bytes, versionElement);
    version = smallInteger(bytes, inner.next()) + 1;
    inner.finish();
    if (version > 3) throw new DerError(`unknown certificate version ${version}`);
  }
  const serial = integerBytes(bytes, fields.next());
  const signatureElement = fields.next(TAG.SEQUENCE);
  const issuer = recurringName(bytes, fields.next(TAG.SEQUENCE));
  const dates = validity(bytes, fields.next(TAG.SEQUENCE));
  const subjectElement = fields.next(TAG.SEQUENCE);
  const publicKey = publicKeyInfo(bytes, fields.next(TAG.SEQUENCE));
  // issuerUniqueID and subjectUniqueID (v2 and v3 only), then extensions (v3 only).
  const uniqueIds = [fields.optional(contextTag(1, false)), fields.optional(contextTag(2, false))];
  if (version === 1 && uniqueIds.some((id) => id !== undefined)) throw new DerError("unique identifiers in a version 1 certificate");
  const extensionsElement = fields.optional(contextTag(3, true));
  fields.finish();
  let extensionList: Element | undefined;
  if (extensionsElement !== undefined) {
    if (version !== 3) throw new DerError(`extensions in a version ${version} certificate`);
    const inner = new DerCursor(bytes, extensionsElement);
    extensionList = inner.next(TAG.SEQUENCE);
    inner.finish();
  }
  return {
    version,
    serial,
    signature: algorithmIdentifier(bytes, signatureElement),
    signatureEncoding: encoding(bytes, signatureElement),
    issuer,
    validity: dates,
    subject: distinguishedName(bytes, subjectElement),
    subjectDer: encoding(bytes, subjectElement),
    publicKey,
    extensions: decodeExtensions(bytes, extensionList),
  };
}

function certificateFields(der: Uint8Array, fingerprint: string | undefined): Certificate {
  const outer = readSingle(der, TAG.SEQUENCE);
  checkWellFormed(der, outer);
  const fields = new DerCursor(der, outer);
  const tbsElement = fields.next(TAG.SEQUENCE);
  const algorithmElement = fields.next(TAG.SEQUENCE);
  const signature = signatureValue(der, fields.next(TAG.BIT_STRING));
  fields.finish();
  const tbs = tbsCertificate(der, tbsElement);
  const algorithm = algorithmIdentifier(der, algorithmElement);
  const { extensions } = tbs;
  const publicKey = lazyPublicKey(der, tbs.publicKey);
  return {
    der,
    version: tbs.version,
    serialNumber: serialText(tbs.serial),
    serial: tbs.serial,
    // A serial over 20 octets breaks the profile, not the structure (profile.ts judges it).
    serialOctets: tbs.serial[0] === 0 && tbs.serial.length > 1 ? tbs.serial.length - 1 : tbs.serial.length,
    signed: { tbs: encoding(der, tbsElement), algorithm, signature },
    get publicKey() {
      return publicKey();
    },
    inheritsKeyParameters: tbs.publicKey.inheritsParameters,
    publicKeyAlgorithm: tbs.publicKey.algorithm,
    fingerprint: fingerprint ?? hash("sha256", der, "hex"),
    subject: tbs.subject,
    issuer: tbs.issuer,
    notBefore: tbs.validity.notBefore,
    notAfter: tbs.validity.notAfter,
    ...extensions,
    crlUrls: extensions.distributionPoints
      .flatMap((point) => point.fullName ?? [])
      .flatMap((name) => (name.type === "uri" && isHttp(name.value) ? [name.value] : [])),
    subjectDer: tbs.subjectDer,
    publicKeyBits: tbs.publicKey.bits,
    publicKeyInfo: tbs.publicKey.info,
    weakHash: weakHashOf(algorithm),
    signatureAlgorithmsMatch: Buffer.from(tbs.signatureEncoding).equals(encoding(der, algorithmElement)),
    selfIssued: tbs.subject.key === tbs.issuer.key,
  };
}

/**
 * Decodes one DER certificate; `index` is its place in the presented chain, for the
 * failure; `fingerprint`, its SHA-256 when the caller already hashed it. Never throws.
 */
export function decodeCertificate(der: Uint8Array, index = -1, fingerprint?: string): DecodedCertificate {
  try {
    // A certificate is kept for many requests: it owns exactly its bytes, not the
    // request (or pooled) buffer they arrived in.
    const own = der.byteOffset === 0 && der.byteLength === der.buffer.byteLength ? der : der.slice();
    return { ok: true, certificate: certificateFields(own, fingerprint) };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return fail("MALFORMED_CERTIFICATE", `certificate ${index}: cannot be parsed (${detail.slice(0, 200)})`, index);
  }
}
