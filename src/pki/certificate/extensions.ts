// Certificate extensions (RFC 5280 4.2), decoded from their DER values into the
// facts path validation, name constraints, policies and revocation use. Unknown
// extensions stay opaque; whether one is critical is the path checks' business.
import {
  DerCursor,
  DerError,
  TAG,
  bitString,
  boolean,
  checkWellFormed,
  children,
  contextTag,
  objectIdentifier,
  octetString,
  readSingle,
  smallInteger,
  type Element,
} from "../der.ts";
import { generalName, generalNames, type GeneralNameValue, type NameConstraints, type Subtree } from "./general-name.ts";
import { relativeNameKeys } from "./name.ts";

export const OID = {
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  subjectAltName: "2.5.29.17",
  nameConstraints: "2.5.29.30",
  policyMappings: "2.5.29.33",
  policyConstraints: "2.5.29.36",
  inhibitAnyPolicy: "2.5.29.54",
  issuerAltName: "2.5.29.18",
  certificatePolicies: "2.5.29.32",
  crlDistributionPoints: "2.5.29.31",
  freshestCrl: "2.5.29.46",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
  anyExtendedKeyUsage: "2.5.29.37.0",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  ocspSigning: "1.3.6.1.5.5.7.3.9",
} as const;

export const KEY_USAGE = {
  digitalSignature: 1,
  keyEncipherment: 4,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
} as const;

export interface ExtensionInfo {
  readonly id: string;
  readonly critical: boolean;
}

export interface CertificatePolicyInfo {
  /** Policy OIDs of certificatePolicies; undefined: no such extension. */
  readonly identifiers: readonly string[] | undefined;
  readonly mappings: readonly { readonly issuerDomain: string; readonly subjectDomain: string }[];
  readonly requireExplicitPolicy: number | undefined;
  readonly inhibitPolicyMapping: number | undefined;
  readonly inhibitAnyPolicy: number | undefined;
}

/** A DistributionPoint (RFC 5280 4.2.1.13) of a certificate's cRLDistributionPoints. */
export interface DistributionPoint {
  /** fullName; undefined when absent. */
  readonly fullName: readonly GeneralNameValue[] | undefined;
  /** nameRelativeToCRLIssuer, as the sorted attribute keys of one RDN; undefined when absent. */
  readonly relativeName: readonly string[] | undefined;
  /** ReasonFlags as bits (bit n = reason code n); undefined: all reasons. */
  readonly reasons: number | undefined;
  readonly crlIssuer: readonly GeneralNameValue[] | undefined;
}

export interface DecodedExtensions {
  readonly extensions: readonly ExtensionInfo[];
  /** undefined: no basicConstraints extension. */
  readonly basicConstraints: { readonly ca: boolean; readonly pathLength: number | undefined } | undefined;
  /** Bit flags (KEY_USAGE); undefined: no keyUsage extension. */
  readonly keyUsage: number | undefined;
  /** OIDs; undefined: no extendedKeyUsage extension. */
  readonly extendedKeyUsage: readonly string[] | undefined;
  /** Lower-case hex. */
  readonly subjectKeyId: string | undefined;
  /** The keyIdentifier of authorityKeyIdentifier, lower-case hex. */
  readonly authorityKeyId: string | undefined;
  /** subjectAltName entries, in a form the name-constraint checks compare. */
  readonly subjectAltNames: readonly GeneralNameValue[];
  readonly nameConstraints: NameConstraints | undefined;
  readonly policies: CertificatePolicyInfo;
  readonly distributionPoints: readonly DistributionPoint[];
  /** HTTP URLs of the OCSP responders (authorityInfoAccess). */
  readonly ocspUrls: readonly string[];
}

const NO_POLICIES: CertificatePolicyInfo = Object.freeze({
  identifiers: undefined,
  mappings: Object.freeze([]),
  requireExplicitPolicy: undefined,
  inhibitPolicyMapping: undefined,
  inhibitAnyPolicy: undefined,
});
const NONE: readonly never[] = Object.freeze([]);
const OID_AD_OCSP = "1.3.6.1.5.5.7.48.1";

export const isHttp = (url: string | undefined): url is string => url !== undefined && /^https?:\/\//i.test(url);

/** Named-bit BIT STRING as a number: bit n of the ASN.1 value is 1 << n. */
export function namedBits(bytes: Uint8Array, element: Element): number {
  const bits = bitString(bytes, element);
  if (bits.bytes.length > 4) throw new DerError("named bit list longer than 32 bits");
  let value = 0;
  bits.bytes.forEach((byte, i) => {
    for (let bit = 0; bit < 8; bit++) if ((byte & (0x80 >> bit)) !== 0) value |= 1 << (i * 8 + bit);
  });
  return value >>> 0;
}

function basicConstraints(bytes: Uint8Array, value: Element): DecodedExtensions["basicConstraints"] {
  const fields = new DerCursor(bytes, value);
  const caElement = fields.optional(TAG.BOOLEAN);
  const ca = caElement === undefined ? false : boolean(bytes, caElement);
  const lengthElement = fields.optional(TAG.INTEGER);
  fields.finish();
  return { ca, pathLength: lengthElement === undefined ? undefined : smallInteger(bytes, lengthElement) };
}

function oidList(bytes: Uint8Array, value: Element): string[] {
  return children(bytes, value).map((element) => objectIdentifier(bytes, element));
}

const hex = (value: Uint8Array) => Buffer.from(value).toString("hex");

export function authorityKeyId(bytes: Uint8Array, value: Element): string | undefined {
  const fields = new DerCursor(bytes, value);
  const keyId = fields.optional(contextTag(0, false));
  const issuer = fields.optional(contextTag(1, true));
  const serial = fields.optional(contextTag(2, false));
  fields.finish();
  // authorityCertIssuer and authorityCertSerialNumber come together or not at all (X.509 8.2.2.1).
  if ((issuer === undefined) !== (serial === undefined)) throw new DerError("authorityKeyIdentifier with only one of issuer and serial number");
  if (issuer !== undefined) generalNames(bytes, issuer);
  return keyId === undefined ? undefined : hex(bytes.subarray(keyId.contentStart, keyId.end));
}

function subtrees(bytes: Uint8Array, list: Element | undefined): Subtree[] | undefined {
  if (list === undefined) return undefined;
  const out = children(bytes, list, TAG.SEQUENCE).map((subtree) => {
    const fields = new DerCursor(bytes, subtree);
    const name = generalName(bytes, fields.next(), true);
    const minimum = fields.optional(contextTag(0, false));
    const maximum = fields.optional(contextTag(1, false));
    fields.finish();
    const min = minimum === undefined ? 0 : smallInteger(bytes, { ...minimum, tag: TAG.INTEGER });
    if (maximum !== undefined) smallInteger(bytes, { ...maximum, tag: TAG.INTEGER });
    return { name, bounded: min !== 0 || maximum !== undefined };
  });
  if (out.length === 0) throw new DerError("empty GeneralSubtrees");
  return out;
}

function nameConstraints(bytes: Uint8Array, value: Element): NameConstraints {
  const fields = new DerCursor(bytes, value);
  const permitted = subtrees(bytes, fields.optional(contextTag(0, true)));
  const excluded = subtrees(bytes, fields.optional(contextTag(1, true)));
  fields.finish();
  return { permitted, excluded: excluded ?? NONE };
}

/** PolicyQualifiers (CPS pointers, user notices) are for people; only their shape is checked. */
function policyQualifiers(bytes: Uint8Array, list: Element): void {
  const qualifiers = children(bytes, list, TAG.SEQUENCE);
  if (qualifiers.length === 0) throw new DerError("empty policyQualifiers");
  for (const qualifier of qualifiers) {
    const fields = new DerCursor(bytes, qualifier);
    objectIdentifier(bytes, fields.next());
    fields.next();
    fields.finish();
  }
}

function certificatePolicies(bytes: Uint8Array, value: Element): string[] {
  const identifiers = children(bytes, value, TAG.SEQUENCE).map((information) => {
    const fields = new DerCursor(bytes, information);
    const policy = objectIdentifier(bytes, fields.next());
    const qualifiers = fields.optional(TAG.SEQUENCE);
    fields.finish();
    if (qualifiers !== undefined) policyQualifiers(bytes, qualifiers);
    return policy;
  });
  if (identifiers.length === 0) throw new DerError("empty certificatePolicies");
  // RFC 5280 4.2.1.4: a policy identifier MUST NOT appear more than once.
  if (new Set(identifiers).size !== identifiers.length) throw new DerError("certificatePolicies lists a policy twice");
  return identifiers;
}

function policyMappings(bytes: Uint8Array, value: Element): CertificatePolicyInfo["mappings"] {
  const mappings = children(bytes, value, TAG.SEQUENCE).map((mapping) => {
    const fields = new DerCursor(bytes, mapping);
    const issuerDomain = objectIdentifier(bytes, fields.next());
    const subjectDomain = objectIdentifier(bytes, fields.next());
    fields.finish();
    return { issuerDomain, subjectDomain };
  });
  if (mappings.length === 0) throw new DerError("empty policyMappings");
  return mappings;
}

function policyConstraints(bytes: Uint8Array, value: Element): { requireExplicitPolicy: number | undefined; inhibitPolicyMapping: number | undefined } {
  const fields = new DerCursor(bytes, value);
  const require = fields.optional(contextTag(0, false));
  const inhibit = fields.optional(contextTag(1, false));
  fields.finish();
  // RFC 5280 4.2.1.11: conforming CAs MUST NOT issue an empty policyConstraints.
  if (require === undefined && inhibit === undefined) throw new DerError("empty policyConstraints");
  const skipCerts = (element: Element | undefined) => (element === undefined ? undefined : smallInteger(bytes, { ...element, tag: TAG.INTEGER }));
  return { requireExplicitPolicy: skipCerts(require), inhibitPolicyMapping: skipCerts(inhibit) };
}

/** DistributionPointName: [0] fullName GeneralNames or [1] nameRelativeToCRLIssuer. */
export function distributionPointName(bytes: Uint8Array, element: Element): Pick<DistributionPoint, "fullName" | "relativeName"> {
  const inner = new DerCursor(bytes, element);
  const choice = inner.next();
  inner.finish();
  if (choice.tag === contextTag(0, true)) return { fullName: generalNames(bytes, choice), relativeName: undefined };
  if (choice.tag === contextTag(1, true)) return { fullName: undefined, relativeName: relativeNameKeys(bytes, choice) };
  throw new DerError("unknown DistributionPointName");
}

function distributionPoints(bytes: Uint8Array, value: Element): DistributionPoint[] {
  const points = children(bytes, value, TAG.SEQUENCE).map((point): DistributionPoint => {
    const fields = new DerCursor(bytes, point);
    const name = fields.optional(contextTag(0, true));
    const reasons = fields.optional(contextTag(1, false));
    const issuer = fields.optional(contextTag(2, true));
    fields.finish();
    // RFC 5280 4.2.1.13: a DistributionPoint MUST NOT consist of only the reasons field.
    if (name === undefined && issuer === undefined) throw new DerError("distribution point with neither a name nor a cRLIssuer");
    return {
      ...(name === undefined ? { fullName: undefined, relativeName: undefined } : distributionPointName(bytes, name)),
      reasons: reasons === undefined ? undefined : namedBits(bytes, { ...reasons, tag: TAG.BIT_STRING }),
      crlIssuer: issuer === undefined ? undefined : generalNames(bytes, issuer),
    };
  });
  if (points.length === 0) throw new DerError("empty cRLDistributionPoints");
  return points;
}

function ocspUrls(bytes: Uint8Array, value: Element): string[] {
  const urls: string[] = [];
  for (const description of children(bytes, value, TAG.SEQUENCE)) {
    const fields = new DerCursor(bytes, description);
    const method = objectIdentifier(bytes, fields.next());
    const location = generalName(bytes, fields.next());
    fields.finish();
    if (method === OID_AD_OCSP && location.type === "uri" && isHttp(location.value)) urls.push(location.value);
  }
  return urls;
}

type Mutable = { -readonly [K in keyof DecodedExtensions]: DecodedExtensions[K] };

/** The outer type of each extension certgate decodes; others stay opaque. */
const VALUE_TAG: Readonly<Record<string, number>> = {
  [OID.basicConstraints]: TAG.SEQUENCE,
  [OID.keyUsage]: TAG.BIT_STRING,
  [OID.extKeyUsage]: TAG.SEQUENCE,
  [OID.subjectKeyIdentifier]: TAG.OCTET_STRING,
  [OID.authorityKeyIdentifier]: TAG.SEQUENCE,
  [OID.subjectAltName]: TAG.SEQUENCE,
  [OID.nameConstraints]: TAG.SEQUENCE,
  [OID.certificatePolicies]: TAG.SEQUENCE,
  [OID.policyMappings]: TAG.SEQUENCE,
  [OID.policyConstraints]: TAG.SEQUENCE,
  [OID.inhibitAnyPolicy]: TAG.INTEGER,
  [OID.crlDistributionPoints]: TAG.SEQUENCE,
  [OID.authorityInfoAccess]: TAG.SEQUENCE,
};

/** Decodes one extension's value into `out`; unknown extensions are left opaque. */
function decodeExtension(id: string, bytes: Uint8Array, value: Element, out: Mutable): void {
  switch (id) {
    case OID.basicConstraints:
      out.basicConstraints = basicConstraints(bytes, value);
      break;
    case OID.keyUsage:
      out.keyUsage = namedBits(bytes, value);
      break;
    case OID.extKeyUsage:
      out.extendedKeyUsage = oidList(bytes, value);
      break;
    case OID.subjectKeyIdentifier:
      out.subjectKeyId = hex(octetString(bytes, value));
      break;
    case OID.authorityKeyIdentifier:
      out.authorityKeyId = authorityKeyId(bytes, value);
      break;
    case OID.subjectAltName:
      out.subjectAltNames = generalNames(bytes, value);
      break;
    case OID.nameConstraints:
      out.nameConstraints = nameConstraints(bytes, value);
      break;
    case OID.certificatePolicies:
      out.policies = { ...out.policies, identifiers: certificatePolicies(bytes, value) };
      break;
    case OID.policyMappings:
      out.policies = { ...out.policies, mappings: policyMappings(bytes, value) };
      break;
    case OID.policyConstraints:
      out.policies = { ...out.policies, ...policyConstraints(bytes, value) };
      break;
    case OID.inhibitAnyPolicy:
      out.policies = { ...out.policies, inhibitAnyPolicy: smallInteger(bytes, value) };
      break;
    case OID.crlDistributionPoints:
      out.distributionPoints = distributionPoints(bytes, value);
      break;
    case OID.authorityInfoAccess:
      out.ocspUrls = ocspUrls(bytes, value);
      break;
  }
}

/** Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension, at `list` of the certificate `bytes`. */
export function decodeExtensions(bytes: Uint8Array, list: Element | undefined): DecodedExtensions {
  const out: Mutable = {
    extensions: NONE,
    basicConstraints: undefined,
    keyUsage: undefined,
    extendedKeyUsage: undefined,
    subjectKeyId: undefined,
    authorityKeyId: undefined,
    subjectAltNames: NONE,
    nameConstraints: undefined,
    policies: NO_POLICIES,
    distributionPoints: NONE,
    ocspUrls: NONE,
  };
  if (list === undefined) return out;
  const infos: ExtensionInfo[] = [];
  for (const extension of children(bytes, list, TAG.SEQUENCE)) {
    const fields = new DerCursor(bytes, extension);
    const id = objectIdentifier(bytes, fields.next());
    const criticalElement = fields.optional(TAG.BOOLEAN);
    const critical = criticalElement === undefined ? false : boolean(bytes, criticalElement);
    const valueElement = fields.next(TAG.OCTET_STRING);
    fields.finish();
    // RFC 5280 4.2: a certificate MUST NOT include more than one instance of an extension.
    if (infos.some((info) => info.id === id)) throw new DerError(`duplicate extension ${id}`);
    infos.push({ id, critical });
    const value = bytes.subarray(valueElement.contentStart, valueElement.end);
    const tag = VALUE_TAG[id];
    // The value is itself one DER element of the extension's type, with nothing after it.
    if (tag !== undefined) {
      const inner = readSingle(value, tag);
      checkWellFormed(value, inner);
      decodeExtension(id, value, inner, out);
    }
  }
  if (infos.length === 0) throw new DerError("empty extensions");
  out.extensions = infos;
  return out;
}
