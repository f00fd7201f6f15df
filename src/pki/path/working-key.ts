// The working public key of each certificate on a path (RFC 5280 6.1.4 (d)-(f)): a
// certificate's own key, except that a DSA key encoded without parameters takes
// them from the working key of the certificate that issued it.
import { createPublicKey, type KeyObject } from "node:crypto";
import type { Certificate } from "../certificate/certificate.ts";
import { DerCursor, TAG, encoding, readSingle } from "../der.ts";

function lengthOctets(length: number): number[] {
  if (length < 0x80) return [length];
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return [0x80 | octets.length, ...octets];
}

function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const content = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag, ...lengthOctets(content.length)]), content]);
}

/** The DSA key of `certificate` completed with the parameters of `issuerKey`; undefined when the issuer's key is not DSA. */
export function inheritedKey(certificate: Certificate, issuerKey: KeyObject): KeyObject | undefined {
  if (issuerKey.asymmetricKeyType !== "dsa") return undefined;
  const issuerInfo = new Uint8Array(issuerKey.export({ format: "der", type: "spki" }));
  const algorithm = new DerCursor(issuerInfo, readSingle(issuerInfo, TAG.SEQUENCE)).next(TAG.SEQUENCE);
  const ownInfo = certificate.publicKeyInfo;
  const ownFields = new DerCursor(ownInfo, readSingle(ownInfo, TAG.SEQUENCE));
  ownFields.next(TAG.SEQUENCE);
  const bits = ownFields.next(TAG.BIT_STRING);
  try {
    return createPublicKey({ key: Buffer.from(tlv(TAG.SEQUENCE, encoding(issuerInfo, algorithm), encoding(ownInfo, bits))), format: "der", type: "spki" });
  } catch {
    return undefined;
  }
}

/**
 * Working keys along `path` (leaf first, anchor last) of the certificates that sign
 * on it; the leaf signs nothing, so its entry stays undefined and its key unloaded.
 * undefined too where DSA parameters cannot be inherited.
 */
export function workingKeys(path: readonly Certificate[]): (KeyObject | undefined)[] {
  const keys: (KeyObject | undefined)[] = new Array(path.length);
  for (let i = path.length - 1; i >= 1; i--) {
    const certificate = path[i]!;
    const issuerKey = keys[i + 1];
    keys[i] = !certificate.inheritsKeyParameters ? certificate.publicKey : issuerKey === undefined ? undefined : inheritedKey(certificate, issuerKey);
  }
  return keys;
}
