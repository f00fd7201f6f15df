// Distinguished names: the RFC 4514 string shown to people and the normalised key
// used for name chaining (RFC 5280 section 7.1: RFC 4518 string preparation -
// case folding and insignificant-space handling - and RDNs compared as sets).
import { AsnConvert } from "@peculiar/asn1-schema";
import type { AttributeValue, Name } from "@peculiar/asn1-x509";

const OID_CN = "2.5.4.3";

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
  /** Every CN value in the name, in encoding order. */
  readonly commonNames: readonly string[];
}

function stringValue(value: AttributeValue): string | undefined {
  return value.utf8String ?? value.printableString ?? value.ia5String ?? value.bmpString ?? value.universalString ?? value.teletexString;
}

function rawHex(value: AttributeValue): string {
  return "#" + Buffer.from(value.anyValue ?? AsnConvert.serialize(value)).toString("hex");
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

export function distinguishedName(name: Name): DistinguishedName {
  const commonNames: string[] = [];
  const rdnTexts: string[] = [];
  const rdnKeys: string[][] = [];
  for (const rdn of name) {
    const texts: string[] = [];
    const keys: string[] = [];
    for (const attribute of rdn) {
      const value = stringValue(attribute.value);
      if (attribute.type === OID_CN && value !== undefined) commonNames.push(value);
      const label = SHORT_NAMES[attribute.type] ?? attribute.type;
      texts.push(`${label}=${value === undefined ? rawHex(attribute.value) : escaped(value)}`);
      keys.push(`${attribute.type}=${value === undefined ? rawHex(attribute.value) : prepared(value)}`);
    }
    rdnTexts.push(texts.join("+"));
    rdnKeys.push(keys.sort());
  }
  return { text: rdnTexts.reverse().join(","), key: JSON.stringify(rdnKeys), commonNames };
}
