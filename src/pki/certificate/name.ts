// Distinguished names: the RFC 4514 string shown to people and the normalised key
// used for name chaining (RFC 5280 section 7.1: RFC 4518 string preparation -
// case folding and insignificant-space handling - and RDNs compared as sets).
import { LruCache } from "../../lru-cache.ts";
import { DerCursor, DerError, TAG, children, encoding, objectIdentifier, readSingle, type Element } from "../der.ts";
import { directoryString } from "../der-text.ts";

const OID_CN = "2.5.4.3";
const OID_EMAIL = "1.2.840.113549.1.9.1";

const SHORT_NAMES: Readonly<Record<string, string>> = {
  [OID_CN]: "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.9": "STREET",
  "0.9.2342.19200300.100.1.25": "DC",
  "0.9.2342.19200300.100.1.1": "UID",
  "1.2.840.113549.1.9.1": "E",
  "2.5.4.5": "SERIALNUMBER",
};

export interface DistinguishedName {
  /** RFC 4514 form, most significant RDN last: "CN=alice,O=certgate". */
  readonly text: string;
  /** Comparison key: equal keys mean equal names under RFC 5280 7.1. */
  readonly key: string;
  /** Like key, but insensitive to RDN order, as WSO2 compares configured issuer DNs. */
  readonly unorderedKey: string;
  /** Every CN value in the name, in encoding order. */
  readonly commonNames: readonly string[];
  /** Every emailAddress value (name constraints treat them as rfc822 names). */
  readonly emails: readonly string[];
  /** Each RDN's comparison key, most significant first: subtree checks compare prefixes. */
  readonly rdnKeys: readonly string[];
}

/** RFC 4518 in the form implementations use: NFKC, case fold, trim, collapse spaces. */
function prepared(value: string): string {
  return value.normalize("NFKC").toLowerCase().trim().replace(/\s+/g, " ");
}

function escaped(value: string): string {
  let out = value.replace(/[\\,+"<>;=]/g, (c) => "\\" + c).replace(/[\u0000-\u001f]/g, (c) => "\\" + c.charCodeAt(0).toString(16).padStart(2, "0"));
  if (out.startsWith("#") || out.startsWith(" ")) out = "\\" + out;
  if (out.endsWith(" ")) out = out.slice(0, -1) + "\\ ";
  return out;
}

/** UTF8, Numeric, Printable, Teletex, IA5, Universal and BMP strings, and SEQUENCE: the name values OpenSSL reads too. */
const ATTRIBUTE_VALUE_TAGS = new Set([0x0c, 0x12, 0x13, 0x14, 0x16, 0x1c, 0x1e, 0x30]);

interface Attribute {
  readonly type: string;
  /** The string value; undefined when the value is not a directory string. */
  readonly value: string | undefined;
  readonly text: string;
  readonly key: string;
}

/** The attributes of one RelativeDistinguishedName (a non-empty SET). */
function rdnAttributes(bytes: Uint8Array, rdn: Element): Attribute[] {
  const attributes = children(bytes, rdn, TAG.SEQUENCE).map((attribute): Attribute => {
    const fields = new DerCursor(bytes, attribute);
    const type = objectIdentifier(bytes, fields.next());
    const valueElement = fields.next();
    fields.finish();
    // Attribute values are strings (or a SEQUENCE), as OpenSSL reads names; anything else is not a name.
    if (!ATTRIBUTE_VALUE_TAGS.has(valueElement.tag))
      throw new DerError(`attribute value of type 0x${valueElement.tag.toString(16)} at offset ${valueElement.start}`);
    const value = directoryString(bytes, valueElement);
    const raw = value === undefined ? "#" + Buffer.from(encoding(bytes, valueElement)).toString("hex") : undefined;
    const label = SHORT_NAMES[type] ?? type;
    return { type, value, text: `${label}=${raw ?? escaped(value!)}`, key: `${type}=${raw ?? prepared(value!)}` };
  });
  if (attributes.length === 0) throw new DerError("empty RelativeDistinguishedName");
  return attributes;
}

/** Issuer names repeat across every certificate a CA issues: they are kept by encoding. */
const knownNames = new LruCache<string, DistinguishedName>(1024);

/** The Name (RFC 5280 4.1.2.4) at `element` of `bytes`. */
export function distinguishedName(bytes: Uint8Array, element: Element): DistinguishedName {
  return decodeName(bytes, element);
}

/** The same, for a name that recurs (a certificate's issuer): remembered by its encoding. */
export function recurringName(bytes: Uint8Array, element: Element): DistinguishedName {
  const key = Buffer.from(bytes.buffer, bytes.byteOffset + element.start, element.end - element.start).toString("latin1");
  let name = knownNames.get(key);
  if (name === undefined) {
    name = decodeName(bytes, element);
    knownNames.set(key, name);
  }
  return name;
}

function decodeName(bytes: Uint8Array, element: Element): DistinguishedName {
  const commonNames: string[] = [];
  const emails: string[] = [];
  const rdnTexts: string[] = [];
  const rdnKeys: string[][] = [];
  for (const rdn of children(bytes, element, TAG.SET)) {
    const attributes = rdnAttributes(bytes, rdn);
    for (const { type, value } of attributes) {
      if (type === OID_CN && value !== undefined) commonNames.push(value);
      if (type === OID_EMAIL && value !== undefined) emails.push(value);
    }
    rdnTexts.push(attributes.map((a) => a.text).join("+"));
    rdnKeys.push(attributes.map((a) => a.key).sort());
  }
  return {
    text: rdnTexts.reverse().join(","),
    key: JSON.stringify(rdnKeys),
    unorderedKey: unordered(rdnKeys),
    commonNames,
    emails,
    rdnKeys: rdnKeys.map((rdn) => rdn.join("+")),
  };
}

/** One RDN's sorted attribute keys (a distribution point's nameRelativeToCRLIssuer), from an element of any tag. */
export function relativeNameKeys(bytes: Uint8Array, rdn: Element): string[] {
  return rdnAttributes(bytes, rdn)
    .map((a) => a.key)
    .sort();
}

/** The comparison key of `name` with one more RDN appended (RFC 5280 4.2.1.13 nameRelativeToCRLIssuer). */
export function appendedNameKey(name: DistinguishedName, rdn: readonly string[]): string {
  return JSON.stringify([...(JSON.parse(name.key) as string[][]), rdn]);
}

/** A Name given as its own DER encoding (from a CRL or OCSP structure another library decoded). */
export function distinguishedNameFromDer(der: Uint8Array): DistinguishedName {
  return distinguishedName(der, readSingle(der, TAG.SEQUENCE));
}

function unordered(rdnKeys: readonly (readonly string[])[]): string {
  return JSON.stringify(rdnKeys.map((rdn) => rdn.join("+")).sort());
}

const OID_BY_NAME: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(SHORT_NAMES).map(([oid, name]) => [name, oid])),
  EMAILADDRESS: "1.2.840.113549.1.9.1",
  S: "2.5.4.8",
};

/** Splits on `separator` where it is not escaped by a backslash. */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && i + 1 < text.length) {
      current += c + text[i + 1];
      i++;
    } else if (c === separator) {
      parts.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

/** RFC 4514 value unescaping: \\c and \\XX hex pairs (UTF-8). */
function unescapeValue(value: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c !== "\\") {
      bytes.push(...Buffer.from(c, "utf8"));
      continue;
    }
    const pair = value.slice(i + 1, i + 3);
    if (/^[0-9a-fA-F]{2}$/.test(pair)) {
      bytes.push(parseInt(pair, 16));
      i += 2;
    } else if (i + 1 < value.length) {
      bytes.push(...Buffer.from(value[i + 1]!, "utf8"));
      i++;
    } else {
      return undefined;
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/**
 * Parses an RFC 4514 string ("CN=certgate-dev-intermediate,O=certgate") into the
 * same comparison keys as a certificate's name; a reason string when malformed.
 */
export function parseDistinguishedName(text: string): Pick<DistinguishedName, "key" | "unorderedKey"> | string {
  const rdnKeys: string[][] = [];
  for (const rdn of splitUnescaped(text, ",")) {
    const keys: string[] = [];
    for (const attribute of splitUnescaped(rdn, "+")) {
      const at = attribute.indexOf("=");
      if (at <= 0) return `"${attribute.trim()}" is not type=value`;
      const type = attribute.slice(0, at).trim();
      const oid = /^\d+(\.\d+)+$/.test(type) ? type : OID_BY_NAME[type.toUpperCase()];
      if (oid === undefined) return `unknown attribute type ${type}`;
      const raw = attribute.slice(at + 1).trim();
      if (raw.startsWith("#")) {
        keys.push(`${oid}=${raw.toLowerCase()}`);
        continue;
      }
      const value = unescapeValue(raw);
      if (value === undefined) return `bad escape in "${raw}"`;
      keys.push(`${oid}=${prepared(value)}`);
    }
    rdnKeys.push(keys.sort());
  }
  // RFC 4514 writes the most significant RDN last; certificates encode it first.
  rdnKeys.reverse();
  return { key: JSON.stringify(rdnKeys), unorderedKey: unordered(rdnKeys) };
}
