// Certificate revocation lists (RFC 5280 section 5), decoded once when loaded or
// fetched: the outer structure by @peculiar/asn1-x509 (CRLs are held, not decoded per
// request), the extension values by the same DER reader certificates use, so a
// distribution point name reads the same in a certificate and in a CRL.
import { hash } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { CertificateList, type Extension } from "@peculiar/asn1-x509";
import { unusable, type Unusable } from "../../reason.ts";
import { serialText } from "../certificate/certificate.ts";
import { DerCursor, TAG, boolean, contextTag, integerBytes, readSingle, firstInnerSequence, hasExactDerEnvelope, type Element } from "../der.ts";
import { authorityKeyId, distributionPointName, namedBits, type DistributionPoint } from "../certificate/extensions.ts";
import { generalNames, type GeneralNameValue } from "../certificate/general-name.ts";
import { distinguishedNameFromDer, type DistinguishedName } from "../certificate/name.ts";
import type { SignedData } from "../certificate/signature.ts";
import { algorithmFromAsn } from "../certificate/signed-data.ts";

const OID = {
  crlNumber: "2.5.29.20",
  deltaCrlIndicator: "2.5.29.27",
  issuingDistributionPoint: "2.5.29.28",
  authorityKeyIdentifier: "2.5.29.35",
  issuerAltName: "2.5.29.18",
  freshestCrl: "2.5.29.46",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
  reasonCode: "2.5.29.21",
  invalidityDate: "2.5.29.24",
  certificateIssuer: "2.5.29.29",
  holdInstructionCode: "2.5.29.23",
} as const;

const KNOWN_CRL_EXTENSIONS = new Set<string>([
  OID.crlNumber,
  OID.deltaCrlIndicator,
  OID.issuingDistributionPoint,
  OID.authorityKeyIdentifier,
  OID.issuerAltName,
  OID.freshestCrl,
  OID.authorityInfoAccess,
]);
const KNOWN_ENTRY_EXTENSIONS = new Set<string>([OID.reasonCode, OID.invalidityDate, OID.certificateIssuer, OID.holdInstructionCode]);

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

export interface RevokedEntry {
  readonly reason: string;
  readonly revokedAt: Date;
}

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
  readonly issuer: DistinguishedName;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly number: bigint | undefined;
  /** Set on a delta CRL: the number of the base CRL it updates. */
  readonly deltaBase: bigint | undefined;
  readonly authorityKeyId: string | undefined;
  /** undefined: no issuingDistributionPoint (the CRL covers every certificate of its issuer, for every reason). */
  readonly scope: CrlScope | undefined;
  /** Entries by revocationKey(certificate issuer, serial): an indirect CRL lists other issuers' certificates (5.3.3). */
  readonly revoked: ReadonlyMap<string, RevokedEntry>;
  /**
   * Why the CRL cannot vouch for a certificate (unknown critical extensions, a
   * critical cRLNumber), or undefined. Such a CRL still revokes what it lists.
   */
  readonly unusable: string | undefined;
  /** No cRLNumber (RFC 5280 5.2.3, what `openssl ca -gencrl` writes without a crlnumber file): strict lets it revoke, not vouch. */
  readonly numberMissing: boolean;
  /** Lower-case hex SHA-256 of the DER, to name the CRL once in logs and metrics. */
  readonly fingerprint: string;
  readonly signed: SignedData;
}

/** The key of a CRL entry: the certificate's issuer name and its serial number. */
export function revocationKey(issuerKey: string, serialNumber: string): string {
  return `${serialNumber}\n${issuerKey}`;
}

function value(extension: Extension): { bytes: Uint8Array; element: Element } {
  const bytes = new Uint8Array(extension.extnValue.buffer);
  return { bytes, element: readSingle(bytes, bytes[0] ?? 0) };
}

function crlNumber(extension: Extension): bigint {
  const { bytes, element } = value(extension);
  const number = integerBytes(bytes, element);
  return BigInt(`0x${Buffer.from(number).toString("hex")}`);
}

/** IssuingDistributionPoint ::= SEQUENCE { [0] name, [1]-[2] only user/CA, [3] reasons, [4] indirect, [5] only attribute }. */
function issuingDistributionPoint(extension: Extension): CrlScope {
  const { bytes, element } = value(extension);
  const fields = new DerCursor(bytes, element);
  const nameElement = fields.optional(contextTag(0, true));
  const flag = (n: number) => {
    const tagged = fields.optional(contextTag(n, false));
    return tagged === undefined ? false : boolean(bytes, { ...tagged, tag: TAG.BOOLEAN });
  };
  const onlyUser = flag(1);
  const onlyCa = flag(2);
  const reasons = fields.optional(contextTag(3, false));
  const indirect = flag(4);
  const onlyAttribute = flag(5);
  fields.finish();
  return {
    name: nameElement === undefined ? undefined : distributionPointName(bytes, nameElement),
    onlyUser,
    onlyCa,
    onlyAttribute,
    onlySomeReasons: reasons === undefined ? undefined : namedBits(bytes, { ...reasons, tag: TAG.BIT_STRING }),
    indirect,
    encoding: Buffer.from(bytes).toString("hex"),
  };
}

/** The directory name a certificateIssuer entry extension names (5.3.3). */
function certificateIssuerKey(extension: Extension): string | undefined {
  const { bytes, element } = value(extension);
  const names: GeneralNameValue[] = generalNames(bytes, element);
  const name = names.find((n) => n.type === "dn");
  return name?.type === "dn" ? name.value.key : undefined;
}

interface CrlExtensions {
  number: bigint | undefined;
  deltaBase: bigint | undefined;
  authorityKeyId: string | undefined;
  scope: CrlScope | undefined;
  unusable: string | undefined;
}

function crlExtensions(extensions: readonly Extension[]): CrlExtensions {
  const out: CrlExtensions = { number: undefined, deltaBase: undefined, authorityKeyId: undefined, scope: undefined, unusable: undefined };
  let numberCritical = false;
  for (const extension of extensions) {
    if (extension.critical && !KNOWN_CRL_EXTENSIONS.has(extension.extnID)) out.unusable ??= `unknown critical CRL extension ${extension.extnID}`;
    switch (extension.extnID) {
      case OID.crlNumber:
        out.number = crlNumber(extension);
        numberCritical = extension.critical;
        break;
      case OID.deltaCrlIndicator:
        out.deltaBase = crlNumber(extension);
        break;
      case OID.issuingDistributionPoint:
        out.scope = issuingDistributionPoint(extension);
        break;
      case OID.authorityKeyIdentifier: {
        const { bytes, element } = value(extension);
        out.authorityKeyId = authorityKeyId(bytes, element);
        break;
      }
    }
  }
  // RFC 5280 5.2.3: conforming CRL issuers MUST mark cRLNumber non-critical; OpenSSL too refuses a critical one as unhandled.
  if (numberCritical) out.unusable ??= "cRLNumber is marked critical (RFC 5280 5.2.3)";
  if (out.scope?.onlyAttribute === true) out.unusable ??= "covers attribute certificates only";
  return out;
}

function revokedEntries(list: CertificateList, issuer: DistinguishedName): { revoked: Map<string, RevokedEntry>; unusable: string | undefined } {
  const revoked = new Map<string, RevokedEntry>();
  let unusable: string | undefined;
  // In an indirect CRL an entry without certificateIssuer belongs to the issuer of the entry before it (5.3.3).
  let issuerKey = issuer.key;
  for (const entry of list.tbsCertList.revokedCertificates ?? []) {
    let reason: string = "unspecified";
    for (const extension of entry.crlEntryExtensions ?? []) {
      if (extension.critical && !KNOWN_ENTRY_EXTENSIONS.has(extension.extnID)) unusable ??= `unknown critical CRL entry extension ${extension.extnID}`;
      if (extension.extnID === OID.reasonCode) {
        const { bytes, element } = value(extension);
        reason = CRL_REASONS[bytes[element.contentStart] ?? 0] ?? "unspecified";
      }
      if (extension.extnID === OID.certificateIssuer) issuerKey = certificateIssuerKey(extension) ?? issuerKey;
    }
    revoked.set(revocationKey(issuerKey, serialText(new Uint8Array(entry.userCertificate))), { reason, revokedAt: entry.revocationDate.getTime() });
  }
  return { revoked, unusable };
}

/** Decodes a DER CRL; a reason string when it is not one. */
export type DecodedCrl = { readonly ok: true; readonly crl: Crl } | Unusable;

export function decodeCrl(der: Uint8Array): DecodedCrl {
  if (!hasExactDerEnvelope(der)) return unusable("not a single DER SEQUENCE");
  try {
    const list = AsnConvert.parse(der, CertificateList);
    const tbs = list.tbsCertList;
    const tbsBytes = firstInnerSequence(der);
    if (tbsBytes === undefined) return unusable("no TBSCertList");
    const issuer = distinguishedNameFromDer(new Uint8Array(AsnConvert.serialize(tbs.issuer)));
    const extensions = crlExtensions(tbs.crlExtensions ?? []);
    const entries = revokedEntries(list, issuer);
    const crl: Crl = {
      issuer,
      thisUpdate: tbs.thisUpdate.getTime(),
      nextUpdate: tbs.nextUpdate?.getTime(),
      number: extensions.number,
      deltaBase: extensions.deltaBase,
      authorityKeyId: extensions.authorityKeyId,
      scope: extensions.scope,
      revoked: entries.revoked,
      unusable: extensions.unusable ?? entries.unusable,
      numberMissing: extensions.number === undefined,
      fingerprint: hash("sha256", der, "hex"),
      signed: { tbs: tbsBytes, algorithm: algorithmFromAsn(list.signatureAlgorithm), signature: new Uint8Array(list.signature) },
    };
    return { ok: true, crl };
  } catch (error) {
    return unusable(`cannot be parsed (${(error as Error).message.slice(0, 120)})`);
  }
}
