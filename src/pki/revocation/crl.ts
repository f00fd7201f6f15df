// Certificate revocation lists (RFC 5280 section 5), read in one pass by the strict
// DER reader certificates use: the outer structure, the TBSCertList, the CRL
// extensions (scope, number, delta, key identifier) and every entry, into a compact
// index (revoked-index.ts) over the DER, which the CRL keeps. Nothing builds an object
// per entry, so a million-entry CRL loads in well under a second; a large one is read
// in a worker thread (crl-loading/) and handed back without copying.
import { hash } from "node:crypto";
import { unusable, type Unusable } from "../../reason.ts";
import { algorithmIdentifier, signatureValue } from "../certificate/certificate.ts";
import { authorityKeyId, distributionPointName, namedBits, type DistributionPoint } from "../certificate/extensions.ts";
import { distinguishedName, type DistinguishedName } from "../certificate/name.ts";
import type { SignedData } from "../certificate/signature.ts";
import { DerCursor, DerError, TAG, boolean, contextTag, encoding, integerBytes, objectIdentifier, readSingle, smallInteger, type Element } from "../der.ts";
import { time } from "../der-text.ts";
import { RevokedIndex, buildRevokedIndex, type RevokedIndexParts } from "./revoked-index.ts";

export { CRL_REASONS, type RevokedEntry } from "./revoked-index.ts";

const OID = {
  crlNumber: "2.5.29.20",
  deltaCrlIndicator: "2.5.29.27",
  issuingDistributionPoint: "2.5.29.28",
  authorityKeyIdentifier: "2.5.29.35",
  issuerAltName: "2.5.29.18",
  freshestCrl: "2.5.29.46",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
} as const;

const KNOWN_CRL_EXTENSIONS = new Set<string>(Object.values(OID));

/** The issuingDistributionPoint extension (RFC 5280 5.2.5): which certificates the CRL covers. */
export interface CrlScope {
  /** The distribution point name, as in a certificate's DistributionPoint; undefined when absent. */
  readonly name: Pick<DistributionPoint, "fullName" | "relativeName"> | undefined;
  readonly onlyUser: boolean;
  readonly onlyCa: boolean;
  readonly onlyAttribute: boolean;
  /** ReasonFlags bits; undefined: all reasons. */
  readonly onlySomeReasons: number | undefined;
  readonly indirect: boolean;
  /** The extension's DER, to match a delta CRL's scope to its base (6.3.3 (c)(2)). */
  readonly encoding: string;
}

export interface Crl {
  /** The CRL as received; the index points into it. */
  readonly der: Uint8Array;
  /** Lower-case hex SHA-256 of the DER, to name the CRL once in logs and metrics. */
  readonly fingerprint: string;
  readonly issuer: DistinguishedName;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly number: bigint | undefined;
  /** Set on a delta CRL: the number of the base CRL it updates. */
  readonly deltaBase: bigint | undefined;
  readonly authorityKeyId: string | undefined;
  /** undefined: no issuingDistributionPoint (the CRL covers every certificate of its issuer, for every reason). */
  readonly scope: CrlScope | undefined;
  /** The revoked certificates, by (certificate issuer, serial): an indirect CRL lists other issuers' certificates (5.3.3). */
  readonly revoked: RevokedIndex;
  /**
   * Why the CRL cannot vouch for a certificate (unknown critical extensions, a
   * critical cRLNumber), or undefined. Such a CRL still revokes what it lists.
   */
  readonly unusable: string | undefined;
  /** No cRLNumber (RFC 5280 5.2.3, what `openssl ca -gencrl` writes without a crlnumber file): strict lets it revoke, not vouch. */
  readonly numberMissing: boolean;
  readonly signed: SignedData;
}

export type DecodedCrl = { readonly ok: true; readonly crl: Crl } | Unusable;

/** What a worker already did for this DER: its index and its fingerprint (decodeCrl then reads only the header). */
export interface PrebuiltCrl {
  readonly index: RevokedIndexParts;
  readonly fingerprint: string;
}

/** A non-negative INTEGER of up to 20 octets (cRLNumber, BaseCRLNumber), in its OCTET STRING. */
function crlNumber(value: Uint8Array): bigint {
  const element = readSingle(value, TAG.INTEGER);
  const number = integerBytes(value, element);
  if ((number[0]! & 0x80) !== 0) throw new DerError("negative CRL number");
  if (number.length > 21) throw new DerError("CRL number longer than 20 octets");
  return BigInt(`0x${Buffer.from(number).toString("hex")}`);
}

/** IssuingDistributionPoint ::= SEQUENCE { [0] name, [1]-[2] only user/CA, [3] reasons, [4] indirect, [5] only attribute }. */
function issuingDistributionPoint(value: Uint8Array): CrlScope {
  const element = readSingle(value, TAG.SEQUENCE);
  const fields = new DerCursor(value, element);
  const nameElement = fields.optional(contextTag(0, true));
  const flag = (n: number) => {
    const tagged = fields.optional(contextTag(n, false));
    return tagged === undefined ? false : boolean(value, { ...tagged, tag: TAG.BOOLEAN });
  };
  const onlyUser = flag(1);
  const onlyCa = flag(2);
  const reasons = fields.optional(contextTag(3, false));
  const indirect = flag(4);
  const onlyAttribute = flag(5);
  fields.finish();
  return {
    name: nameElement === undefined ? undefined : distributionPointName(value, nameElement),
    onlyUser,
    onlyCa,
    onlyAttribute,
    onlySomeReasons: reasons === undefined ? undefined : namedBits(value, { ...reasons, tag: TAG.BIT_STRING }),
    indirect,
    encoding: Buffer.from(value).toString("hex"),
  };
}

interface CrlExtensions {
  number: bigint | undefined;
  deltaBase: bigint | undefined;
  authorityKeyId: string | undefined;
  scope: CrlScope | undefined;
  unusable: string | undefined;
}

/** crlExtensions: [0] EXPLICIT Extensions; each at most once. */
function crlExtensions(der: Uint8Array, tagged: Element | undefined): CrlExtensions {
  const out: CrlExtensions = { number: undefined, deltaBase: undefined, authorityKeyId: undefined, scope: undefined, unusable: undefined };
  if (tagged === undefined) return out;
  const wrapper = new DerCursor(der, tagged);
  const list = wrapper.next(TAG.SEQUENCE);
  wrapper.finish();
  const seen = new Set<string>();
  for (const cursor = new DerCursor(der, list); !cursor.done;) {
    const fields = new DerCursor(der, cursor.next(TAG.SEQUENCE));
    const id = objectIdentifier(der, fields.next());
    const criticalElement = fields.optional(TAG.BOOLEAN);
    const critical = criticalElement !== undefined && boolean(der, criticalElement);
    const value = der.subarray(...valueRange(fields.next(TAG.OCTET_STRING)));
    fields.finish();
    if (seen.has(id)) throw new DerError(`duplicate CRL extension ${id}`);
    seen.add(id);
    if (critical && !KNOWN_CRL_EXTENSIONS.has(id)) out.unusable ??= `unknown critical CRL extension ${id}`;
    // RFC 5280 5.2.3: cRLNumber MUST be non-critical; OpenSSL too refuses a critical one as unhandled.
    if (id === OID.crlNumber && critical) out.unusable ??= "cRLNumber is marked critical (RFC 5280 5.2.3)";
    if (id === OID.crlNumber) out.number = crlNumber(value);
    if (id === OID.deltaCrlIndicator) out.deltaBase = crlNumber(value);
    if (id === OID.issuingDistributionPoint) out.scope = issuingDistributionPoint(value);
    if (id === OID.authorityKeyIdentifier) out.authorityKeyId = authorityKeyId(value, readSingle(value, TAG.SEQUENCE));
  }
  if (out.scope?.onlyAttribute === true) out.unusable ??= "covers attribute certificates only";
  return out;
}

const valueRange = (element: Element): [number, number] => [element.contentStart, element.end];

/** TBSCertList (RFC 5280 5.1.2), field by field; the entries are indexed, or the prebuilt index taken. */
function tbsCertList(der: Uint8Array, element: Element, prebuilt: PrebuiltCrl | undefined) {
  const fields = new DerCursor(der, element);
  const versionElement = fields.optional(TAG.INTEGER);
  // Version 2 (encoded 1) is the only one that says anything: v1 CRLs omit the field.
  if (versionElement !== undefined && smallInteger(der, versionElement) !== 1) throw new DerError("unknown CRL version");
  const signature = fields.next(TAG.SEQUENCE);
  const issuer = distinguishedName(der, fields.next(TAG.SEQUENCE));
  const thisUpdate = time(der, fields.next());
  const next = fields.peek();
  const nextUpdate = next === TAG.UTC_TIME || next === TAG.GENERALIZED_TIME ? time(der, fields.next()) : undefined;
  const list = fields.optional(TAG.SEQUENCE);
  const extensions = crlExtensions(der, fields.optional(contextTag(0, true)));
  fields.finish();
  const index = prebuilt?.index ?? buildRevokedIndex(der, list === undefined ? undefined : { ...list }, issuer.key);
  return { signature, issuer, thisUpdate, nextUpdate, extensions, index };
}

function crlFields(der: Uint8Array, prebuilt: PrebuiltCrl | undefined): Crl {
  const outer = readSingle(der, TAG.SEQUENCE);
  const fields = new DerCursor(der, outer);
  const tbsElement = fields.next(TAG.SEQUENCE);
  const algorithmElement = fields.next(TAG.SEQUENCE);
  const signature = signatureValue(der, fields.next(TAG.BIT_STRING));
  fields.finish();
  const tbs = tbsCertList(der, tbsElement, prebuilt);
  const { extensions, index } = tbs;
  // RFC 5280 5.1.1.2: the signature field inside TBSCertList must equal signatureAlgorithm.
  const algorithmsMatch = Buffer.from(encoding(der, tbs.signature)).equals(encoding(der, algorithmElement));
  return {
    der,
    fingerprint: prebuilt?.fingerprint ?? hash("sha256", der, "hex"),
    issuer: tbs.issuer,
    thisUpdate: tbs.thisUpdate,
    nextUpdate: tbs.nextUpdate,
    number: extensions.number,
    deltaBase: extensions.deltaBase,
    authorityKeyId: extensions.authorityKeyId,
    scope: extensions.scope,
    revoked: new RevokedIndex(der, index),
    unusable: extensions.unusable ?? index.unusable ?? (algorithmsMatch ? undefined : "signature algorithm fields differ (RFC 5280 5.1.1.2)"),
    numberMissing: extensions.number === undefined,
    signed: { tbs: encoding(der, tbsElement), algorithm: algorithmIdentifier(der, algorithmElement), signature },
  };
}

/**
 * Decodes a DER CRL; never throws. `prebuilt`: the index a worker built for these
 * same bytes, so only the header is read here.
 */
export function decodeCrl(der: Uint8Array, prebuilt?: PrebuiltCrl): DecodedCrl {
  try {
    // A CRL is kept for many requests: it owns exactly its bytes.
    const own = der.byteOffset === 0 && der.byteLength === der.buffer.byteLength ? der : der.slice();
    return { ok: true, crl: crlFields(own, prebuilt) };
  } catch (error) {
    const detail = error instanceof DerError ? error.message : String(error);
    return unusable(`cannot be parsed (${detail.slice(0, 160)})`);
  }
}
