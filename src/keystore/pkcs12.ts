// PKCS#12 trust stores (RFC 7292), as keytool (Java 9+), `openssl pkcs12 -export` and
// WSO2 IS 7.x's client-truststore.p12 are written: the structures decoded by
// @peculiar/asn1-pfx and asn1js, the integrity MAC and the bag encryption computed
// with node:crypto. PBES2 (PBKDF2 with AES or 3DES) and the PKCS#12 3DES scheme are
// read; RC2 and RC4 (Java 8 keytool, `openssl -legacy`) are not, and say how to convert.
import { createDecipheriv, createHash, createHmac, pbkdf2Sync, timingSafeEqual } from "node:crypto";
import { ContentInfo, EncryptedContentInfo, id_data, id_encryptedData } from "@peculiar/asn1-cms";
import { AuthenticatedSafe, CertBag, PFX, SafeContents, id_certBag, id_keyBag, id_pkcs8ShroudedKeyBag, id_x509Certificate } from "@peculiar/asn1-pfx";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import * as asn1js from "asn1js";
import type { KeyStoreContents, StoreCertificate } from "./contents.ts";

/** The JDK's trusted-certificate-entry marker (ORACLE_TrustedKeyUsage): keytool sets it, OpenSSL before 3.2 does not. */
const JDK_TRUSTED_KEY_USAGE = "2.16.840.1.113894.746875.1.1";
const FRIENDLY_NAME = "1.2.840.113549.1.9.20";
const LOCAL_KEY_ID = "1.2.840.113549.1.9.21";

const DIGESTS: Readonly<Record<string, { name: string; block: number }>> = {
  "1.3.14.3.2.26": { name: "sha1", block: 64 },
  "2.16.840.1.101.3.4.2.4": { name: "sha224", block: 64 },
  "2.16.840.1.101.3.4.2.1": { name: "sha256", block: 64 },
  "2.16.840.1.101.3.4.2.2": { name: "sha384", block: 128 },
  "2.16.840.1.101.3.4.2.3": { name: "sha512", block: 128 },
};
const PRFS: Readonly<Record<string, string>> = {
  "1.2.840.113549.2.7": "sha1",
  "1.2.840.113549.2.8": "sha224",
  "1.2.840.113549.2.9": "sha256",
  "1.2.840.113549.2.10": "sha384",
  "1.2.840.113549.2.11": "sha512",
};
const CIPHERS: Readonly<Record<string, { name: string; key: number }>> = {
  "2.16.840.1.101.3.4.1.2": { name: "aes-128-cbc", key: 16 },
  "2.16.840.1.101.3.4.1.22": { name: "aes-192-cbc", key: 24 },
  "2.16.840.1.101.3.4.1.42": { name: "aes-256-cbc", key: 32 },
  "1.2.840.113549.3.7": { name: "des-ede3-cbc", key: 24 },
};
const PBES2 = "1.2.840.113549.1.5.13";
const PBKDF2 = "1.2.840.113549.1.5.12";
const PBE_SHA1_3DES = "1.2.840.113549.1.12.1.3";
const LEGACY: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.12.1.1": "pbeWithSHAAnd128BitRC4",
  "1.2.840.113549.1.12.1.2": "pbeWithSHAAnd40BitRC4",
  "1.2.840.113549.1.12.1.5": "pbeWithSHAAnd128BitRC2-CBC",
  "1.2.840.113549.1.12.1.6": "pbeWithSHAAnd40BitRC2-CBC",
};
const CONVERT =
  "convert it once: keytool -importkeystore -srckeystore OLD -destkeystore NEW.p12 -deststoretype PKCS12 (Java 12 or later writes AES), " +
  "or openssl pkcs12 -legacy -in OLD -nokeys | openssl pkcs12 -export -nokeys -out NEW.p12";

class StoreError extends Error {}

/** PKCS#12 passwords for the KDF of appendix B: BMPString, two zero bytes at the end. */
function bmpPassword(password: string): Buffer {
  const bytes = Buffer.alloc((password.length + 1) * 2);
  for (let i = 0; i < password.length; i++) bytes.writeUInt16BE(password.charCodeAt(i), i * 2);
  return bytes;
}

/** RFC 7292 appendix B.2: the PKCS#12 key derivation (id 1: key, 2: IV, 3: MAC key). */
export function pkcs12Kdf(
  digest: { name: string; block: number },
  password: string,
  salt: Uint8Array,
  id: 1 | 2 | 3,
  iterations: number,
  length: number,
): Buffer {
  const v = digest.block;
  const repeat = (source: Uint8Array) => {
    const out = Buffer.alloc(source.length === 0 ? 0 : v * Math.ceil(source.length / v));
    for (let i = 0; i < out.length; i++) out[i] = source[i % source.length]!;
    return out;
  };
  const input = Buffer.concat([repeat(salt), repeat(bmpPassword(password))]);
  const output: Buffer[] = [];
  for (let produced = 0; produced < length;) {
    let block = createHash(digest.name).update(Buffer.alloc(v, id)).update(input).digest();
    for (let round = 1; round < iterations; round++) block = createHash(digest.name).update(block).digest();
    output.push(block);
    produced += block.length;
    const b = repeat(block).subarray(0, v);
    for (let at = 0; at < input.length; at += v) {
      let carry = 1;
      for (let i = v - 1; i >= 0; i--) {
        const sum = input[at + i]! + b[i]! + carry;
        input[at + i] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(output).subarray(0, length);
}

const bytesOf = (buffer: ArrayBuffer | ArrayBufferView) =>
  buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

function octets(encoded: ArrayBuffer): Uint8Array {
  return bytesOf(AsnConvert.parse(encoded, OctetString));
}

/** The children of a BER SEQUENCE, as asn1js reads it. */
function sequence(encoded: ArrayBuffer | Uint8Array, what: string): asn1js.AsnType[] {
  const parsed = asn1js.fromBER(encoded instanceof ArrayBuffer ? encoded : encoded.slice().buffer);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) throw new StoreError(`${what} is not a SEQUENCE`);
  return parsed.result.valueBlock.value;
}

function integer(node: asn1js.AsnType | undefined, what: string): number {
  if (!(node instanceof asn1js.Integer)) throw new StoreError(`${what} is not an INTEGER`);
  return node.valueBlock.valueDec;
}

function octetNode(node: asn1js.AsnType | undefined, what: string): Uint8Array {
  if (!(node instanceof asn1js.OctetString)) throw new StoreError(`${what} is not an OCTET STRING`);
  return new Uint8Array(node.getValue());
}

function algorithm(node: asn1js.AsnType | undefined): AlgorithmIdentifier {
  if (node === undefined) throw new StoreError("missing AlgorithmIdentifier");
  return AsnConvert.parse(node.toBER(), AlgorithmIdentifier);
}

/** PBES2 (RFC 8018 6.2): PBKDF2 with an HMAC, then AES-CBC or 3DES-CBC; the password as UTF-8, as OpenSSL and Java use it. */
function pbes2(parameters: ArrayBuffer, password: string, data: Uint8Array): Buffer {
  const [kdfNode, schemeNode] = sequence(parameters, "PBES2 parameters");
  const kdf = algorithm(kdfNode);
  const scheme = algorithm(schemeNode);
  if (kdf.algorithm !== PBKDF2) throw new StoreError(`key derivation ${kdf.algorithm} is not PBKDF2`);
  const cipher = CIPHERS[scheme.algorithm];
  if (cipher === undefined) throw new StoreError(`encryption scheme ${scheme.algorithm} is not one certgate reads (AES-CBC, 3DES-CBC)`);
  const [salt, iterations, ...rest] = sequence(kdf.parameters!, "PBKDF2 parameters");
  const prfNode = rest.find((node) => node instanceof asn1js.Sequence);
  const prf = prfNode === undefined ? "sha1" : PRFS[algorithm(prfNode).algorithm];
  if (prf === undefined) throw new StoreError("PBKDF2 pseudo-random function is not an HMAC-SHA certgate knows");
  const key = pbkdf2Sync(Buffer.from(password, "utf8"), octetNode(salt, "PBKDF2 salt"), integer(iterations, "PBKDF2 iterations"), cipher.key, prf);
  const iv = octets(scheme.parameters!);
  const decipher = createDecipheriv(cipher.name, key, iv);
  return Buffer.concat([decipher.update(data), decipher.final()]);
}

function pbeSha1TripleDes(parameters: ArrayBuffer, password: string, data: Uint8Array): Buffer {
  const [salt, iterations] = sequence(parameters, "PKCS#12 PBE parameters");
  const sha1 = DIGESTS["1.3.14.3.2.26"]!;
  const saltBytes = octetNode(salt, "PBE salt");
  const count = integer(iterations, "PBE iterations");
  const decipher = createDecipheriv("des-ede3-cbc", pkcs12Kdf(sha1, password, saltBytes, 1, count, 24), pkcs12Kdf(sha1, password, saltBytes, 2, count, 8));
  return Buffer.concat([decipher.update(data), decipher.final()]);
}

/** EncryptedData (RFC 5652 8): its EncryptedContentInfo decrypted with the store password. */
function decrypt(content: ArrayBuffer, password: string): Uint8Array {
  const [, infoNode] = sequence(content, "EncryptedData");
  if (infoNode === undefined) throw new StoreError("EncryptedData without EncryptedContentInfo");
  const info = AsnConvert.parse(infoNode.toBER(), EncryptedContentInfo);
  const encrypted = info.encryptedContent;
  const data = encrypted?.value !== undefined ? bytesOf(encrypted.value) : Buffer.concat((encrypted?.constructedValue ?? []).map(bytesOf));
  const scheme = info.contentEncryptionAlgorithm;
  const legacy = LEGACY[scheme.algorithm];
  if (legacy !== undefined) throw new StoreError(`its certificates are encrypted with ${legacy}, which certgate does not read; ${CONVERT}`);
  try {
    if (scheme.algorithm === PBES2) return pbes2(scheme.parameters!, password, data);
    if (scheme.algorithm === PBE_SHA1_3DES) return pbeSha1TripleDes(scheme.parameters!, password, data);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError("cannot decrypt its certificates: wrong password, or the file is damaged");
  }
  throw new StoreError(`its certificates are encrypted with ${scheme.algorithm}, which certgate does not read; ${CONVERT}`);
}

/** The integrity MAC (RFC 7292 5.1, HMAC keyed by the PKCS#12 KDF): a wrong password fails here, before anything is decrypted. */
function checkMac(pfx: PFX, data: Uint8Array, password: string): void {
  const { mac, macSalt, iterations } = pfx.macData;
  const digest = DIGESTS[mac.digestAlgorithm.algorithm];
  if (digest === undefined) throw new StoreError(`its integrity MAC uses ${mac.digestAlgorithm.algorithm}, which certgate does not read; ${CONVERT}`);
  const expected = bytesOf(mac.digest);
  const key = pkcs12Kdf(digest, password, bytesOf(macSalt), 3, iterations, createHash(digest.name).digest().length);
  const actual = createHmac(digest.name, key).update(data).digest();
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected))
    throw new StoreError("wrong password, or the file is damaged: its integrity check fails");
}

function attribute(bag: SafeContents[number], id: string): ArrayBuffer | undefined {
  return bag.bagAttributes?.find((attr) => attr.attrId === id)?.attrValues[0];
}

function aliasOf(bag: SafeContents[number]): string | undefined {
  const value = attribute(bag, FRIENDLY_NAME);
  if (value === undefined) return undefined;
  const parsed = asn1js.fromBER(value);
  return parsed.result instanceof asn1js.BmpString ? parsed.result.valueBlock.value : undefined;
}

function bagsOf(info: ContentInfo, password: string): SafeContents {
  if (info.contentType === id_data) return AsnConvert.parse(octets(info.content), SafeContents);
  if (info.contentType === id_encryptedData) return AsnConvert.parse(decrypt(info.content, password), SafeContents);
  throw new StoreError(`it holds ${info.contentType} content (public-key encrypted), which certgate does not read`);
}

/** The certificates of a PKCS#12 file: trusted-certificate entries, and certificates that belong to no private key. */
export function readPkcs12(bytes: Uint8Array, password: string): KeyStoreContents {
  try {
    const pfx = AsnConvert.parse(bytes, PFX);
    if (pfx.version !== 3) throw new StoreError(`PFX version ${pfx.version} (3 expected)`);
    if (pfx.authSafe.contentType !== id_data) throw new StoreError("it is signed with a public key (not password-protected), which certgate does not read");
    const data = octets(pfx.authSafe.content);
    const notes: string[] = [];
    // asn1-pfx leaves an empty MacData behind when the field is absent.
    if (!pfx.macData?.mac?.digestAlgorithm?.algorithm) notes.push("it has no integrity MAC: the password is checked only by decryption");
    else checkMac(pfx, data, password);
    const certificates: StoreCertificate[] = [];
    for (const info of AsnConvert.parse(data, AuthenticatedSafe)) {
      for (const bag of bagsOf(info, password)) {
        const alias = aliasOf(bag);
        const name = alias === undefined ? "an entry" : `entry "${alias}"`;
        if (bag.bagId === id_keyBag || bag.bagId === id_pkcs8ShroudedKeyBag) {
          notes.push(`${name}: a private key, not read (a trust store needs none)`);
          continue;
        }
        if (bag.bagId !== id_certBag) continue;
        const certBag = AsnConvert.parse(bag.bagValue, CertBag);
        if (certBag.certId !== id_x509Certificate) continue;
        if (attribute(bag, LOCAL_KEY_ID) !== undefined && attribute(bag, JDK_TRUSTED_KEY_USAGE) === undefined) {
          notes.push(`${name}: the certificate of a private-key entry, not a trust anchor (import the CA as a trusted certificate)`);
          continue;
        }
        certificates.push({ alias, der: octets(certBag.certValue), jdkTrusted: attribute(bag, JDK_TRUSTED_KEY_USAGE) !== undefined });
      }
    }
    return { ok: true, certificates, notes };
  } catch (error) {
    if (error instanceof StoreError) return { ok: false, why: error.message };
    return { ok: false, why: `not a PKCS#12 file (${error instanceof Error ? error.message : String(error)})` };
  }
}
