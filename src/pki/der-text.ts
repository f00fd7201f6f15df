// The strict byte layer's text values: times (RFC 5280 4.1.2.5's forms, checked
// without allocating, since a CRL entry carries one each) and the string types names
// use, decoded strictly so two encodings never read as the same name.
import { DerError, TAG, contents, expectTag, primitive, type Element } from "./der.ts";

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits(bytes: Uint8Array, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const c = bytes[i]! - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return n;
}

/** Where a time's fields start and its year, or NaN when it is not in RFC 5280 4.1.2.5 form. */
function checkedYear(bytes: Uint8Array, element: { readonly tag: number; readonly contentStart: number; readonly end: number }): number {
  const utc = element.tag === TAG.UTC_TIME;
  if (!utc && element.tag !== TAG.GENERALIZED_TIME) return NaN;
  const yearDigits = utc ? 2 : 4;
  const at = element.contentStart;
  if (element.end - at !== yearDigits + 11 || bytes[element.end - 1] !== 0x5a) return NaN;
  let year = digits(bytes, at, yearDigits);
  if (utc) year += year >= 50 ? 1900 : 2000;
  const month = digits(bytes, at + yearDigits, 2);
  const day = digits(bytes, at + yearDigits + 2, 2);
  const hour = digits(bytes, at + yearDigits + 4, 2);
  const minute = digits(bytes, at + yearDigits + 6, 2);
  const second = digits(bytes, at + yearDigits + 8, 2);
  const valid = month >= 1 && month <= 12 && day >= 1 && day <= DAYS_IN_MONTH[month - 1]! && hour <= 23 && minute <= 59 && second <= 59 && !Number.isNaN(year);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return !valid || (month === 2 && day === 29 && !leap) ? NaN : year;
}

/**
 * Whether the element is a UTCTime or GeneralizedTime in the form RFC 5280 4.1.2.5
 * allows: seconds present, "Z", no fractions. Allocation-free and without building
 * the date: a million CRL entries each carry one, read only on a hit.
 */
export function isTime(bytes: Uint8Array, element: { readonly tag: number; readonly contentStart: number; readonly end: number }): boolean {
  return !Number.isNaN(checkedYear(bytes, element));
}

/** The time (see isTime; two-digit years 50-99 are 19xx) as milliseconds since the epoch, NaN when it is not one. */
export function timeValue(bytes: Uint8Array, element: { readonly tag: number; readonly contentStart: number; readonly end: number }): number {
  const year = checkedYear(bytes, element);
  if (Number.isNaN(year)) return NaN;
  const at = element.end - 11;
  const field = (offset: number) => digits(bytes, at + offset, 2);
  return Date.UTC(year, field(0) - 1, field(2), field(4), field(6), field(8));
}

export function time(bytes: Uint8Array, element: Element): Date {
  primitive(element, "time");
  if (element.tag !== TAG.UTC_TIME && element.tag !== TAG.GENERALIZED_TIME) throw new DerError(`expected a time at offset ${element.start}`);
  const value = timeValue(bytes, element);
  if (Number.isNaN(value)) throw new DerError(`time "${Buffer.from(contents(bytes, element)).toString("latin1").slice(0, 20)}" is not in RFC 5280 form`);
  return new Date(value);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf16be = new TextDecoder("utf-16be", { fatal: true });

function utf32be(value: Uint8Array): string {
  if (value.length % 4 !== 0) throw new DerError("UniversalString length is not a multiple of 4");
  let out = "";
  for (let i = 0; i < value.length; i += 4) {
    const code = ((value[i]! << 24) | (value[i + 1]! << 16) | (value[i + 2]! << 8) | value[i + 3]!) >>> 0;
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new DerError("UniversalString holds no valid character");
    out += String.fromCodePoint(code);
  }
  return out;
}

/** IA5String: seven-bit ASCII, as names compared byte for byte (DNS, e-mail, URI) must be. */
export function ia5String(bytes: Uint8Array, element: Element): string {
  expectTag(element, TAG.IA5_STRING);
  const value = contents(bytes, element);
  for (const byte of value) if (byte > 0x7f) throw new DerError(`IA5String with a non-ASCII octet at offset ${element.start}`);
  return Buffer.from(value).toString("latin1");
}

/**
 * The text of a directory string, or undefined when the element is not one of the
 * string types names use. Invalid UTF-8/16/32 is refused: two different encodings
 * must never read as the same name.
 */
export function directoryString(bytes: Uint8Array, element: Element): string | undefined {
  const value = contents(bytes, element);
  try {
    switch (element.tag) {
      case TAG.UTF8_STRING:
        return utf8.decode(value);
      case TAG.PRINTABLE_STRING:
      case TAG.TELETEX_STRING:
        // T.61 as Latin-1 is what OpenSSL and browsers do.
        return Buffer.from(value).toString("latin1");
      case TAG.IA5_STRING:
        return ia5String(bytes, element);
      case TAG.BMP_STRING:
        if (value.length % 2 !== 0) throw new DerError("BMPString of odd length");
        return utf16be.decode(value);
      case TAG.UNIVERSAL_STRING:
        return utf32be(value);
      default:
        return undefined;
    }
  } catch (error) {
    if (error instanceof DerError) throw error;
    throw new DerError(`invalid string encoding at offset ${element.start}`);
  }
}
