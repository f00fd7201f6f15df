// A strict DER reader (X.690 section 10), the one hand-written parser on the request
// path: a never-seen certificate is decoded here, and a general ASN.1 library that
// builds an object tree per certificate costs more than the signature check.
// Strict where DER is strict about structure: definite lengths in their minimal form,
// low-tag-number identifiers, primitive or constructed as the type demands, minimal
// INTEGERs, canonical BOOLEANs, no bytes after an element's parent ends. Elements are
// offsets into the input, so callers slice what a signature covers or a hash is taken
// of, and never re-encode.

/** Thrown inside decoders and caught at their public entry point, which answers with a failure value. */
export class DerError extends Error {
  override name = "DerError";
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** The identifier octet of a context-specific [n] tag. */
export function contextTag(n: number, constructed: boolean): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

/** One element: its identifier octet and where its header and contents lie in the input. */
export interface Element {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

const MAX_LENGTH_OCTETS = 4;

/** An Element a caller reuses: walking millions of CRL entries, one record instead of one object per element. */
export interface ElementRecord {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

export function newElementRecord(): ElementRecord {
  return { tag: 0, start: 0, contentStart: 0, end: 0 };
}

/** The element starting at `at`, which must end by `limit`. */
export function readElement(bytes: Uint8Array, at: number, limit: number): Element {
  const element = newElementRecord();
  readElementInto(bytes, at, limit, element);
  return element;
}

/** readElement, into `out`: the same checks, no allocation. */
export function readElementInto(bytes: Uint8Array, at: number, limit: number, out: ElementRecord): void {
  if (at + 2 > limit) throw new DerError(`truncated element at offset ${at}`);
  const tag = bytes[at]!;
  // Universal tag 0 is reserved (end-of-contents, which DER never uses).
  if ((tag & 0xdf) === 0) throw new DerError(`reserved tag 0 at offset ${at}`);
  // High-tag-number form (X.690 8.1.2.4): X.509 never needs it.
  if ((tag & 0x1f) === 0x1f) throw new DerError(`unsupported high tag number at offset ${at}`);
  const first = bytes[at + 1]!;
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = at + 2;
  } else {
    const count = first & 0x7f;
    // 0x80 is the indefinite form, which DER forbids (X.690 10.1).
    if (count === 0) throw new DerError(`indefinite length at offset ${at}`);
    if (count > MAX_LENGTH_OCTETS) throw new DerError(`length of over ${MAX_LENGTH_OCTETS} octets at offset ${at}`);
    if (at + 2 + count > limit) throw new DerError(`truncated length at offset ${at}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[at + 2 + i]!;
    // DER lengths use the fewest octets (X.690 10.1): no long form below 128, no leading zero.
    if (length < 0x80 || bytes[at + 2] === 0) throw new DerError(`non-minimal length at offset ${at}`);
    contentStart = at + 2 + count;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError(`element at offset ${at} runs past its container`);
  out.tag = tag;
  out.start = at;
  out.contentStart = contentStart;
  out.end = end;
}

/** Nesting deeper than X.509 ever needs is refused, so hostile input cannot recurse without bound. */
export const MAX_DEPTH = 24;

/**
 * Checks every constructed element under `element`, to `MAX_DEPTH`: children exactly
 * fill their parent, each with a definite, minimal length. Fields certgate reads
 * only as a whole (policy qualifiers, algorithm parameters) are then well formed too.
 */
export function checkWellFormed(bytes: Uint8Array, element: Element, depth = 0): void {
  if ((element.tag & 0x20) === 0) return;
  if (depth >= MAX_DEPTH) throw new DerError(`nesting deeper than ${MAX_DEPTH} at offset ${element.start}`);
  for (let at = element.contentStart; at < element.end;) {
    const child = readElement(bytes, at, element.end);
    checkWellFormed(bytes, child, depth + 1);
    at = child.end;
  }
}

/** The single element `bytes` holds: nothing before, nothing after. */
export function readSingle(bytes: Uint8Array, tag: number): Element {
  const element = readElement(bytes, 0, bytes.length);
  if (element.end !== bytes.length) throw new DerError("bytes after the outermost element");
  expectTag(element, tag);
  return element;
}

export function expectTag(element: Element, tag: number): void {
  if (element.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}, found 0x${element.tag.toString(16)} at offset ${element.start}`);
}

/** The children of a constructed element, read in order. */
export class DerCursor {
  readonly #bytes: Uint8Array;
  readonly #end: number;
  #at: number;

  constructor(bytes: Uint8Array, parent: Element) {
    if ((parent.tag & 0x20) === 0) throw new DerError(`primitive element at offset ${parent.start} read as constructed`);
    this.#bytes = bytes;
    this.#at = parent.contentStart;
    this.#end = parent.end;
  }

  get done(): boolean {
    return this.#at >= this.#end;
  }

  /** The next child's identifier octet, or undefined at the end. */
  peek(): number | undefined {
    return this.#at < this.#end ? this.#bytes[this.#at] : undefined;
  }

  next(tag?: number): Element {
    if (this.done) throw new DerError(`missing element at offset ${this.#at}`);
    const element = readElement(this.#bytes, this.#at, this.#end);
    if (tag !== undefined) expectTag(element, tag);
    this.#at = element.end;
    return element;
  }

  /** The next child when it has this tag (an OPTIONAL or DEFAULT field). */
  optional(tag: number): Element | undefined {
    return this.peek() === tag ? this.next() : undefined;
  }

  /** Asserts that every child was read: a SEQUENCE with unknown trailing fields is not the type we know. */
  finish(): void {
    if (!this.done) throw new DerError(`unexpected element at offset ${this.#at}`);
  }
}

/** Every child of a SEQUENCE OF / SET OF. */
export function children(bytes: Uint8Array, parent: Element, tag?: number): Element[] {
  const cursor = new DerCursor(bytes, parent);
  const out: Element[] = [];
  while (!cursor.done) out.push(cursor.next(tag));
  return out;
}

export function contents(bytes: Uint8Array, element: Element): Uint8Array {
  return bytes.subarray(element.contentStart, element.end);
}

/** The whole encoding of an element, header included. */
export function encoding(bytes: Uint8Array, element: Element): Uint8Array {
  return bytes.subarray(element.start, element.end);
}

export function primitive(element: Element, what: string): void {
  if ((element.tag & 0x20) !== 0) throw new DerError(`${what} at offset ${element.start} must be primitive`);
}

/** An INTEGER's two's-complement contents, checked to be minimal (X.690 8.3.2). */
export function integerBytes(bytes: Uint8Array, element: Element): Uint8Array {
  expectTag(element, TAG.INTEGER);
  const value = contents(bytes, element);
  if (value.length === 0) throw new DerError(`empty INTEGER at offset ${element.start}`);
  if (value.length > 1) {
    const redundant = (value[0] === 0x00 && value[1]! < 0x80) || (value[0] === 0xff && value[1]! >= 0x80);
    if (redundant) throw new DerError(`non-minimal INTEGER at offset ${element.start}`);
  }
  return value;
}

/** A non-negative INTEGER small enough for a number (pathLenConstraint, SkipCerts, versions). */
export function smallInteger(bytes: Uint8Array, element: Element): number {
  const value = integerBytes(bytes, element);
  if ((value[0]! & 0x80) !== 0) throw new DerError(`negative INTEGER at offset ${element.start}`);
  if (value.length > 5 || (value.length === 5 && value[0] !== 0)) throw new DerError(`INTEGER too large at offset ${element.start}`);
  let n = 0;
  for (const byte of value) n = n * 256 + byte;
  return n;
}

/** DER BOOLEAN: one octet, 0x00 or 0xFF (X.690 11.1). */
export function boolean(bytes: Uint8Array, element: Element): boolean {
  expectTag(element, TAG.BOOLEAN);
  const value = contents(bytes, element);
  if (value.length !== 1 || (value[0] !== 0x00 && value[0] !== 0xff)) throw new DerError(`non-DER BOOLEAN at offset ${element.start}`);
  return value[0] === 0xff;
}

export function nullValue(bytes: Uint8Array, element: Element): void {
  expectTag(element, TAG.NULL);
  if (element.end !== element.contentStart) throw new DerError(`NULL with contents at offset ${element.start}`);
}

/**
 * Certificates repeat a few dozen OIDs; their dotted forms are kept by encoding, up
 * to a bound (the ones seen first, the common ones, stay; hostile input cannot grow it).
 */
const knownOids = new Map<string, string>();
const MAX_KNOWN_OIDS = 4096;
const MAX_REMEMBERED_OID = 32;

/** Dotted OBJECT IDENTIFIER, each arc minimally encoded (X.690 8.19). */
export function objectIdentifier(bytes: Uint8Array, element: Element): string {
  expectTag(element, TAG.OID);
  const { contentStart, end } = element;
  if (end === contentStart) throw new DerError(`empty OBJECT IDENTIFIER at offset ${element.start}`);
  if (end - contentStart > MAX_REMEMBERED_OID) return dottedOid(bytes, element);
  const key = String.fromCharCode(...bytes.subarray(contentStart, end));
  let oid = knownOids.get(key);
  if (oid === undefined) {
    oid = dottedOid(bytes, element);
    if (knownOids.size < MAX_KNOWN_OIDS) knownOids.set(key, oid);
  }
  return oid;
}

function dottedOid(bytes: Uint8Array, element: Element): string {
  const { contentStart, end } = element;
  const arcs: number[] = [];
  let value = 0;
  let fresh = true;
  for (let i = contentStart; i < end; i++) {
    const byte = bytes[i]!;
    if (fresh && byte === 0x80) throw new DerError(`non-minimal OBJECT IDENTIFIER arc at offset ${element.start}`);
    fresh = false;
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError(`OBJECT IDENTIFIER arc too large at offset ${element.start}`);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
      fresh = true;
    }
  }
  if (!fresh) throw new DerError(`truncated OBJECT IDENTIFIER at offset ${element.start}`);
  const first = arcs[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join(".");
}

export interface BitString {
  readonly unusedBits: number;
  readonly bytes: Uint8Array;
}

export function bitString(bytes: Uint8Array, element: Element): BitString {
  expectTag(element, TAG.BIT_STRING);
  const value = contents(bytes, element);
  const unusedBits = value[0];
  if (unusedBits === undefined || unusedBits > 7 || (value.length === 1 && unusedBits !== 0)) {
    throw new DerError(`malformed BIT STRING at offset ${element.start}`);
  }
  // DER sets the unused bits to zero (X.690 11.2.1).
  if (unusedBits > 0 && (value[value.length - 1]! & ((1 << unusedBits) - 1)) !== 0)
    throw new DerError(`BIT STRING with set unused bits at offset ${element.start}`);
  return { unusedBits, bytes: value.subarray(1) };
}

export function octetString(bytes: Uint8Array, element: Element): Uint8Array {
  expectTag(element, TAG.OCTET_STRING);
  return contents(bytes, element);
}

/** Whether `der` is exactly one SEQUENCE (checked before handing a CRL or OCSP answer to a BER-tolerant library). */
export function hasExactDerEnvelope(der: Uint8Array): boolean {
  try {
    readSingle(der, TAG.SEQUENCE);
    return true;
  } catch {
    return false;
  }
}

/**
 * The exact bytes of the first element inside the outer SEQUENCE: the signed part
 * (TBSCertList, ResponseData) of a signed structure. Signatures cover these bytes
 * as received, so they are sliced, never re-encoded.
 */
export function firstInnerSequence(der: Uint8Array): Uint8Array | undefined {
  try {
    const outer = readSingle(der, TAG.SEQUENCE);
    return encoding(der, new DerCursor(der, outer).next(TAG.SEQUENCE));
  } catch {
    return undefined;
  }
}
