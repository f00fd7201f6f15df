// GeneralName (RFC 5280 4.2.1.6) in the forms name constraints compare: DNS names,
// e-mail addresses and URIs as strings (DNS names lower-cased), IP addresses (and
// subnets) as text, directory names by their comparison keys. Forms certgate does not
// compare keep their form, so a constraint on a form can tell whether a name of that
// form is present.
import { DerCursor, DerError, TAG, children, contents, objectIdentifier, type Element } from "../der.ts";
import { directoryString, ia5String } from "../der-text.ts";
import { distinguishedName, type DistinguishedName } from "./name.ts";

export type OtherNameForm = "otherName" | "x400Address" | "ediPartyName" | "registeredID";

export type GeneralNameValue =
  | { readonly type: "dns" | "email" | "uri"; readonly value: string }
  /** "192.0.2.1" or "2001:db8::1"; a subnet in a name constraint: "192.0.2.0/24". */
  | { readonly type: "ip"; readonly value: string }
  | { readonly type: "dn"; readonly value: DistinguishedName }
  | { readonly type: OtherNameForm; readonly value: string };

export interface Subtree {
  readonly name: GeneralNameValue;
  /** minimum/maximum other than the RFC 5280 profile's 0/absent. */
  readonly bounded: boolean;
}

export interface NameConstraints {
  /** undefined: no permittedSubtrees at all (nothing restricted by permission). */
  readonly permitted: readonly Subtree[] | undefined;
  readonly excluded: readonly Subtree[];
}

function ipv6Text(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // RFC 5952 4.2: the longest run of two or more zero groups (the first of equals) becomes "::".
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(":");
  return `${hex.slice(0, best.start).join(":")}::${hex.slice(best.start + best.length).join(":")}`;
}

function addressText(bytes: Uint8Array): string {
  return bytes.length === 4 ? bytes.join(".") : ipv6Text(bytes);
}

/** Prefix length of a contiguous mask; undefined when the mask has holes. */
function prefixLength(mask: Uint8Array): number | undefined {
  let bits = 0;
  let ended = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const set = (byte >> bit) & 1;
      if (set === 1 && ended) return undefined;
      if (set === 1) bits++;
      else ended = true;
    }
  }
  return bits;
}

/** iPAddress: an address in a SAN (4 or 16 octets), address and mask in a constraint (8 or 32). */
function ipText(value: Uint8Array, inConstraint: boolean): string {
  if (!inConstraint) {
    if (value.length !== 4 && value.length !== 16) throw new DerError(`iPAddress of ${value.length} octets`);
    return addressText(value);
  }
  if (value.length !== 8 && value.length !== 32) throw new DerError(`iPAddress constraint of ${value.length} octets`);
  const half = value.length / 2;
  const prefix = prefixLength(value.subarray(half));
  if (prefix === undefined) throw new DerError("iPAddress constraint with a non-contiguous mask");
  return `${addressText(value.subarray(0, half))}/${prefix}`;
}

const OTHER_FORMS: Readonly<Record<number, OtherNameForm>> = { 0xa3: "x400Address" };

/** EDIPartyName ::= SEQUENCE { nameAssigner [0] DirectoryString OPTIONAL, partyName [1] DirectoryString }, tags explicit (CHOICE). */
function ediPartyName(bytes: Uint8Array, element: Element): void {
  const fields = new DerCursor(bytes, element);
  const explicitString = (tagged: Element) => {
    const inner = new DerCursor(bytes, tagged);
    if (directoryString(bytes, inner.next()) === undefined) throw new DerError("EDIPartyName with a value that is not a DirectoryString");
    inner.finish();
  };
  const assigner = fields.optional(0xa0);
  if (assigner !== undefined) explicitString(assigner);
  explicitString(fields.next(0xa1));
  fields.finish();
}

/** One GeneralName; `inConstraint`: read as the base of a name constraint (iPAddress carries a mask). */
export function generalName(bytes: Uint8Array, element: Element, inConstraint = false): GeneralNameValue {
  switch (element.tag) {
    case 0x81:
      return { type: "email", value: ia5String(bytes, { ...element, tag: TAG.IA5_STRING }) };
    case 0x82:
      return { type: "dns", value: ia5String(bytes, { ...element, tag: TAG.IA5_STRING }).toLowerCase() };
    case 0x86:
      return { type: "uri", value: ia5String(bytes, { ...element, tag: TAG.IA5_STRING }) };
    case 0x87:
      return { type: "ip", value: ipText(contents(bytes, element), inConstraint) };
    case 0xa4: {
      // directoryName is [4] EXPLICIT: Name is a CHOICE.
      const inner = new DerCursor(bytes, element);
      const name = inner.next(TAG.SEQUENCE);
      inner.finish();
      return { type: "dn", value: distinguishedName(bytes, name) };
    }
    case 0x88:
      return { type: "registeredID", value: objectIdentifier(bytes, { ...element, tag: TAG.OID }) };
    case 0xa0: {
      // otherName: type-id and [0] EXPLICIT value.
      const fields = new DerCursor(bytes, element);
      const typeId = objectIdentifier(bytes, fields.next());
      fields.next(0xa0);
      fields.finish();
      return { type: "otherName", value: typeId };
    }
    case 0xa5:
      ediPartyName(bytes, element);
      return { type: "ediPartyName", value: "ediPartyName" };
    default: {
      const form = OTHER_FORMS[element.tag];
      if (form === undefined) throw new DerError(`unknown GeneralName tag 0x${element.tag.toString(16)}`);
      return { type: form, value: form };
    }
  }
}

/** GeneralNames: SEQUENCE SIZE (1..MAX) OF GeneralName, read from an element of any tag. */
export function generalNames(bytes: Uint8Array, element: Element): GeneralNameValue[] {
  const names = children(bytes, element).map((name) => generalName(bytes, name));
  if (names.length === 0) throw new DerError("empty GeneralNames");
  return names;
}
