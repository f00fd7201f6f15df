// Java KeyStore (JKS) files, as older WSO2 installations keep client-truststore.jks:
// a small documented format (magic FEEDFEED, version, entries, then a SHA-1 over the
// password, "Mighty Aphrodite" and everything before it). Trusted-certificate entries
// are read; private-key entries are skipped with a note.
import { createHash, timingSafeEqual } from "node:crypto";
import type { KeyStoreContents, StoreCertificate } from "./contents.ts";

const JKS_MAGIC = 0xfeedfeed;
const JCEKS_MAGIC = 0xcececece;
const PRIVATE_KEY = 1;
const TRUSTED_CERTIFICATE = 2;
const DIGEST_BYTES = 20;

class Reader {
  #at = 0;
  readonly bytes: Buffer;

  constructor(bytes: Buffer) {
    this.bytes = bytes;
  }

  get at(): number {
    return this.#at;
  }

  #take(length: number): Buffer {
    if (this.#at + length > this.bytes.length - DIGEST_BYTES) throw new RangeError("truncated");
    const out = this.bytes.subarray(this.#at, this.#at + length);
    this.#at += length;
    return out;
  }

  u16 = () => this.#take(2).readUInt16BE();
  u32 = () => this.#take(4).readUInt32BE();
  advance = (length: number) => void this.#take(length);
  /** Java's writeUTF: a two-byte length, then modified UTF-8 (plain UTF-8 for every alias keytool writes). */
  utf = () => this.#take(this.u16()).toString("utf8");
  block = () => this.#take(this.u32());
}

/** The keyed digest that closes the file: SHA-1(password as UTF-16BE, "Mighty Aphrodite", the bytes before it). */
function integrityHolds(bytes: Buffer, password: string): boolean {
  const body = bytes.subarray(0, bytes.length - DIGEST_BYTES);
  const expected = bytes.subarray(bytes.length - DIGEST_BYTES);
  const passwordBytes = Buffer.alloc(password.length * 2);
  for (let i = 0; i < password.length; i++) passwordBytes.writeUInt16BE(password.charCodeAt(i), i * 2);
  const actual = createHash("sha1").update(passwordBytes).update("Mighty Aphrodite", "utf8").update(body).digest();
  return timingSafeEqual(actual, expected);
}

export function readJks(bytes: Uint8Array, password: string): KeyStoreContents {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 12 + DIGEST_BYTES) return { ok: false, why: "too short to be a JKS file" };
  const magic = buffer.readUInt32BE(0);
  if (magic === JCEKS_MAGIC)
    return { ok: false, why: "a JCEKS store, which certgate does not read; convert it: keytool -importkeystore -deststoretype PKCS12" };
  if (magic !== JKS_MAGIC) return { ok: false, why: "not a JKS file (no FEEDFEED magic)" };
  if (!integrityHolds(buffer, password)) return { ok: false, why: "wrong password, or the file is damaged: its integrity check fails" };
  const read = new Reader(buffer);
  try {
    read.advance(4);
    const version = read.u32();
    if (version !== 1 && version !== 2) return { ok: false, why: `JKS version ${version} (1 or 2 expected)` };
    const count = read.u32();
    const certificates: StoreCertificate[] = [];
    const notes: string[] = [];
    for (let i = 0; i < count; i++) {
      const tag = read.u32();
      const alias = read.utf();
      read.advance(8); // creation date
      if (tag === TRUSTED_CERTIFICATE) {
        const type = version === 2 ? read.utf() : "X.509";
        const der = read.block();
        if (type === "X.509") certificates.push({ alias, der: new Uint8Array(der), jdkTrusted: true });
        else notes.push(`entry "${alias}": a ${type} certificate, not read`);
      } else if (tag === PRIVATE_KEY) {
        read.block();
        const chain = read.u32();
        for (let n = 0; n < chain; n++) {
          if (version === 2) read.utf();
          read.block();
        }
        notes.push(`entry "${alias}": a private key and its chain, not read (a trust store needs none)`);
      } else {
        return { ok: false, why: `entry ${i} has unknown tag ${tag}` };
      }
    }
    if (read.at !== buffer.length - DIGEST_BYTES) return { ok: false, why: "bytes after the last entry" };
    return { ok: true, certificates, notes };
  } catch {
    return { ok: false, why: "truncated JKS file" };
  }
}
