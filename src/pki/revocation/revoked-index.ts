// The revoked certificates of one CRL as a compact index, built in one pass over the
// DER by the strict reader: per entry, the entry's byte offset and a 32-bit hash of
// (certificate issuer, serial), side by side in one typed array (open addressing, at
// most half full, so an insert or a lookup touches one cache line). No JS object per
// entry: a million entries cost 16 MB of index beside the DER they point into. A lookup is one hash and a probe or two, allocation-free until a hit,
// which is confirmed against the bytes before the entry's date and reason are read.
import { generalNames } from "../certificate/general-name.ts";
import { DerError, TAG, newElementRecord, readElementInto, readSingle, type ElementRecord } from "../der.ts";
import { isTime, time } from "../der-text.ts";

/** The index in transferable form: what a worker thread builds and hands back without copying. */
export interface RevokedIndexParts {
  readonly count: number;
  /** Two words per slot: the entry's start offset + 1 (0 marks an empty slot) and its hash. */
  readonly table: Uint32Array;
  /** Per slot, the id of the entry's certificate issuer; absent when every entry is the CRL issuer's (id 0). */
  readonly issuerIds: Uint16Array | undefined;
  /** Issuer name keys by id; [0] is the CRL's own issuer. */
  readonly issuerKeys: readonly string[];
  /** An unknown critical entry extension: the CRL cannot vouch (it still revokes what it lists). */
  readonly unusable: string | undefined;
}

export interface RevokedEntry {
  readonly reason: string;
  readonly revokedAt: Date;
}

export const CRL_REASONS = [
  "unspecified",
  "keyCompromise",
  "cACompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold",
  "unused",
  "removeFromCRL",
  "privilegeWithdrawn",
  "aACompromise",
] as const;

/** Entry extension OIDs by their last arc: 2.5.29.x is DER 55 1D x. */
const REASON_CODE = 0x15;
const CERTIFICATE_ISSUER = 0x1d;
const KNOWN_ENTRY_EXTENSIONS = [REASON_CODE, 0x17 /* holdInstructionCode */, 0x18 /* invalidityDate */, CERTIFICATE_ISSUER];
/** Offsets are 32-bit: larger CRLs are refused (the fetch and file limits are far below). */
const MAX_DER_BYTES = 0xffff_fffe;

/** FNV-1a over the serial's bytes and the issuer id, finished with murmur3's mixer so nearby serials spread. */
function hashOf(bytes: Uint8Array, start: number, end: number, issuerId: number): number {
  let h = 0x811c9dc5 ^ issuerId;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function sameBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let i = 0; i < aEnd - aStart; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

/** X.690 8.3.2: no redundant leading 0x00 or 0xFF octet. */
function isMinimalInteger(der: Uint8Array, element: ElementRecord): boolean {
  const length = element.end - element.contentStart;
  if (length <= 1) return length === 1;
  const first = der[element.contentStart]!;
  const second = der[element.contentStart + 1]!;
  return !((first === 0x00 && second < 0x80) || (first === 0xff && second >= 0x80));
}

/** The last arc of a 2.5.29.x OID element, or -1 for any other OID. */
function idCeArc(der: Uint8Array, oid: { contentStart: number; end: number }): number {
  return oid.end - oid.contentStart === 3 && der[oid.contentStart] === 0x55 && der[oid.contentStart + 1] === 0x1d ? der[oid.contentStart + 2]! : -1;
}

/** CRLReason ::= ENUMERATED, inside the extension's OCTET STRING; 7 is not a reason. */
function reasonOf(der: Uint8Array, value: { contentStart: number; end: number }): string {
  const at = value.contentStart;
  const code = der[at + 2]!;
  if (value.end - at !== 3 || der[at] !== TAG.ENUMERATED || der[at + 1] !== 1 || code > 10 || code === 7)
    throw new DerError(`malformed reasonCode at offset ${at}`);
  return CRL_REASONS[code]!;
}

/** The directory name a certificateIssuer entry extension names (RFC 5280 5.3.3). */
function certificateIssuerKey(der: Uint8Array, value: { contentStart: number; end: number }): string | undefined {
  const bytes = der.subarray(value.contentStart, value.end);
  const name = generalNames(bytes, readSingle(bytes, TAG.SEQUENCE)).find((general) => general.type === "dn");
  return name?.type === "dn" ? name.value.key : undefined;
}

/** What one entry's extensions say: its reason, a new certificate issuer (indirect CRLs), an unknown critical extension. */
interface EntryExtensions {
  reason: string;
  issuerKey: string | undefined;
  unknownCritical: string | undefined;
}

/** The records one extension walk reads into: a million entries, no allocation each. */
interface Scratch {
  readonly extension: ElementRecord;
  readonly part: ElementRecord;
  readonly oid: ElementRecord;
  readonly out: EntryExtensions;
}

function newScratch(): Scratch {
  return {
    extension: newElementRecord(),
    part: newElementRecord(),
    oid: newElementRecord(),
    out: { reason: "unspecified", issuerKey: undefined, unknownCritical: undefined },
  };
}

/**
 * crlEntryExtensions: SEQUENCE OF Extension { extnID, critical DEFAULT FALSE, extnValue },
 * each at most once. RFC 5280 says SIZE (1..MAX), but @peculiar/x509 writes an empty
 * one for an entry without a reason and OpenSSL reads that as none: so does certgate.
 */
function readEntryExtensions(der: Uint8Array, list: ElementRecord, scratch: Scratch): EntryExtensions {
  const { extension, part, oid, out } = scratch;
  out.reason = "unspecified";
  out.issuerKey = undefined;
  let seen = 0;
  for (let at = list.contentStart; at < list.end; at = extension.end) {
    readElementInto(der, at, list.end, extension);
    if (extension.tag !== TAG.SEQUENCE) throw new DerError(`malformed CRL entry extension at offset ${at}`);
    readElementInto(der, extension.contentStart, extension.end, oid);
    if (oid.tag !== TAG.OID || oid.end === oid.contentStart) throw new DerError(`malformed CRL entry extension OID at offset ${oid.start}`);
    readElementInto(der, oid.end, extension.end, part);
    let critical = false;
    if (part.tag === TAG.BOOLEAN) {
      const value = der[part.contentStart];
      if (part.end - part.contentStart !== 1 || (value !== 0x00 && value !== 0xff)) throw new DerError(`non-DER BOOLEAN at offset ${part.start}`);
      critical = value === 0xff;
      readElementInto(der, part.end, extension.end, part);
    }
    if (part.tag !== TAG.OCTET_STRING || part.end !== extension.end) throw new DerError(`malformed CRL entry extension at offset ${extension.start}`);
    const arc = idCeArc(der, oid);
    const known = KNOWN_ENTRY_EXTENSIONS.indexOf(arc);
    if (known >= 0 && (seen & (1 << known)) !== 0) throw new DerError(`duplicate CRL entry extension at offset ${extension.start}`);
    if (known >= 0) seen |= 1 << known;
    else if (critical) out.unknownCritical ??= "unknown critical CRL entry extension";
    if (arc === REASON_CODE) out.reason = reasonOf(der, part);
    if (arc === CERTIFICATE_ISSUER) out.issuerKey = certificateIssuerKey(der, part);
  }
  return out;
}

/** Reads the entry at `offset` into `entry`, its serial into `serial`, its extensions (if any) into `field`; true when it has extensions. */
function readEntry(der: Uint8Array, offset: number, limit: number, entry: ElementRecord, serial: ElementRecord, field: ElementRecord): boolean {
  readElementInto(der, offset, limit, entry);
  if (entry.tag !== TAG.SEQUENCE) throw new DerError(`expected a CRL entry at offset ${offset}`);
  readElementInto(der, entry.contentStart, entry.end, serial);
  if (serial.tag !== TAG.INTEGER || !isMinimalInteger(der, serial)) throw new DerError(`malformed CRL entry serial at offset ${serial.start}`);
  readElementInto(der, serial.end, entry.end, field);
  if (!isTime(der, field)) throw new DerError(`malformed CRL entry revocationDate at offset ${field.start}`);
  if (field.end === entry.end) return false;
  readElementInto(der, field.end, entry.end, field);
  if (field.tag !== TAG.SEQUENCE || field.end !== entry.end) throw new DerError(`malformed CRL entry extensions at offset ${field.start}`);
  return true;
}

class IndexBuilder {
  readonly table: Uint32Array;
  readonly ids: Uint16Array;
  readonly #mask: number;
  readonly #entry = newElementRecord();
  readonly #serial = newElementRecord();
  readonly #field = newElementRecord();
  count = 0;

  constructor(entries: number) {
    let capacity = 16;
    while (capacity < entries * 2) capacity *= 2;
    this.table = new Uint32Array(capacity * 2);
    this.ids = new Uint16Array(capacity);
    this.#mask = capacity - 1;
  }

  /** Adds the entry at `offset`; a later entry for the same issuer and serial replaces the earlier one. */
  add(der: Uint8Array, offset: number, serial: ElementRecord, issuerId: number): void {
    const { table, ids } = this;
    const hash = hashOf(der, serial.contentStart, serial.end, issuerId);
    let i = hash & this.#mask;
    for (let slot = table[2 * i]!; slot !== 0; slot = table[2 * i]!) {
      if (table[2 * i + 1] === hash && ids[i] === issuerId) {
        readEntry(der, slot - 1, der.length, this.#entry, this.#serial, this.#field);
        if (sameBytes(der, this.#serial.contentStart, this.#serial.end, der, serial.contentStart, serial.end)) {
          table[2 * i] = offset + 1;
          return;
        }
      }
      i = (i + 1) & this.#mask;
    }
    table[2 * i] = offset + 1;
    table[2 * i + 1] = hash;
    // ids start at 0, the CRL issuer's: a direct CRL never writes them.
    if (issuerId !== 0) ids[i] = issuerId;
    this.count++;
  }
}

/** Entries in the list, counted by their headers only (the first of two passes). */
function countEntries(der: Uint8Array, list: ElementRecord): number {
  const entry = newElementRecord();
  let count = 0;
  for (let at = list.contentStart; at < list.end; at = entry.end, count++) readElementInto(der, at, list.end, entry);
  return count;
}

/**
 * One pass over revokedCertificates (`list`): each entry checked - a SEQUENCE of a
 * minimal INTEGER, a UTCTime or GeneralizedTime, and well-formed extensions - and
 * indexed under its certificate issuer, which a certificateIssuer extension changes
 * for that entry and those after it (5.3.3). Throws DerError on a malformed entry.
 */
export function buildRevokedIndex(der: Uint8Array, list: ElementRecord | undefined, crlIssuerKey: string): RevokedIndexParts {
  if (der.length > MAX_DER_BYTES) throw new DerError("CRL too large to index");
  const builder = new IndexBuilder(list === undefined ? 0 : countEntries(der, list));
  const [entry, serial, field] = [newElementRecord(), newElementRecord(), newElementRecord()];
  const scratch = newScratch();
  const issuerKeys = [crlIssuerKey];
  const issuerIds = new Map([[crlIssuerKey, 0]]);
  let issuerId = 0;
  for (let at = list?.contentStart ?? 0; list !== undefined && at < list.end; at = entry.end) {
    if (readEntry(der, at, list.end, entry, serial, field)) {
      const extensions = readEntryExtensions(der, field, scratch);
      if (extensions.issuerKey !== undefined) issuerId = idOf(extensions.issuerKey, issuerIds, issuerKeys);
    }
    builder.add(der, at, serial, issuerId);
  }
  const { count, table, ids } = builder;
  return { count, table, issuerIds: issuerKeys.length > 1 ? ids : undefined, issuerKeys, unusable: scratch.out.unknownCritical };
}

function idOf(key: string, ids: Map<string, number>, keys: string[]): number {
  let id = ids.get(key);
  if (id === undefined) {
    if (keys.length > 0xffff) throw new DerError("indirect CRL names too many certificate issuers");
    id = keys.length;
    ids.set(key, id);
    keys.push(key);
  }
  return id;
}

/** The index over a CRL's DER. */
export class RevokedIndex {
  readonly #der: Uint8Array;
  readonly #parts: RevokedIndexParts;
  readonly #mask: number;
  readonly #entry = newElementRecord();
  readonly #serial = newElementRecord();
  readonly #field = newElementRecord();
  readonly #scratch = newScratch();

  constructor(der: Uint8Array, parts: RevokedIndexParts) {
    this.#der = der;
    this.#parts = parts;
    this.#mask = parts.table.length / 2 - 1;
  }

  get count(): number {
    return this.#parts.count;
  }

  /** Bytes the index arrays hold (the DER is counted apart). */
  get bytes(): number {
    const { table, issuerIds } = this.#parts;
    return table.byteLength + (issuerIds?.byteLength ?? 0);
  }

  get parts(): RevokedIndexParts {
    return this.#parts;
  }

  /** The entry for the certificate with serial `serial` (its INTEGER contents) issued by `issuerKey`, if listed. */
  lookup(issuerKey: string, serial: Uint8Array): RevokedEntry | undefined {
    const { table, issuerIds, issuerKeys } = this.#parts;
    const id = issuerKeys[0] === issuerKey ? 0 : issuerKeys.indexOf(issuerKey);
    if (id < 0 || this.#parts.count === 0) return undefined;
    const hash = hashOf(serial, 0, serial.length, id);
    for (let i = hash & this.#mask; table[2 * i] !== 0; i = (i + 1) & this.#mask) {
      if (table[2 * i + 1] !== hash || (issuerIds !== undefined && issuerIds[i] !== id)) continue;
      const der = this.#der;
      const hasExtensions = readEntry(der, table[2 * i]! - 1, der.length, this.#entry, this.#serial, this.#field);
      if (!sameBytes(der, this.#serial.contentStart, this.#serial.end, serial, 0, serial.length)) continue;
      const revokedAt = time(der, readDate(der, this.#serial.end, this.#entry.end));
      return { revokedAt, reason: hasExtensions ? readEntryExtensions(der, this.#field, this.#scratch).reason : "unspecified" };
    }
    return undefined;
  }
}

function readDate(der: Uint8Array, at: number, limit: number): ElementRecord {
  const date = newElementRecord();
  readElementInto(der, at, limit, date);
  return date;
}
