// Certificate revocation lists (RFC 5280 section 5), decoded once when loaded or
// fetched; checking a certificate against one is then a map lookup.
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  CRLNumber,
  CRLReason,
  CertificateList,
  IssuingDistributionPoint,
} from "@peculiar/asn1-x509";
import { firstInnerSequence, hasExactDerEnvelope } from "./der.ts";
import { serialText } from "./certificate.ts";
import { distinguishedNameFromDer, type DistinguishedName } from "./name.ts";
import type { SignedData } from "./signature.ts";
import { algorithmFromAsn } from "./signed-data.ts";

const OID = {
  crlNumber: "2.5.29.20",
  deltaCrlIndicator: "2.5.29.27",
  issuingDistributionPoint: "2.5.29.28",
  authorityKeyIdentifier: "2.5.29.35",
  issuerAltName: "2.5.29.18",
  freshestCrl: "2.5.29.46",
  reasonCode: "2.5.29.21",
  invalidityDate: "2.5.29.24",
  certificateIssuer: "2.5.29.29",
} as const;

const KNOWN_CRL_EXTENSIONS = new Set<string>([OID.crlNumber, OID.deltaCrlIndicator, OID.issuingDistributionPoint, OID.authorityKeyIdentifier, OID.issuerAltName, OID.freshestCrl]);
const KNOWN_ENTRY_EXTENSIONS = new Set<string>([OID.reasonCode, OID.invalidityDate]);

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

export interface Crl {
  readonly issuer: DistinguishedName;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly number: bigint | undefined;
  /** Set on a delta CRL: the number of the base CRL it updates. */
  readonly deltaBase: bigint | undefined;
  /** Serial (upper-case hex, as Certificate.serialNumber) -> entry. */
  readonly revoked: ReadonlyMap<string, RevokedEntry>;
  readonly scope: { readonly onlyUser: boolean; readonly onlyCa: boolean; readonly partialReasons: boolean; readonly indirect: boolean };
  /** Why the CRL cannot be relied upon at all (RFC 5280 5.2/5.3: unknown critical extensions), or undefined. */
  readonly unusable: string | undefined;
  readonly signed: SignedData;
}

/** Decodes a DER CRL; a reason string when it is not one. */
export function decodeCrl(der: Uint8Array): Crl | string {
  if (!hasExactDerEnvelope(der)) return "not a single DER SEQUENCE";
  let list: CertificateList;
  try {
    list = AsnConvert.parse(der, CertificateList);
  } catch (error) {
    return `cannot be parsed (${(error as Error).message.slice(0, 120)})`;
  }
  const tbs = list.tbsCertList;
  const tbsBytes = firstInnerSequence(der);
  if (tbsBytes === undefined) return "no TBSCertList";
  let unusable: string | undefined;
  let number: bigint | undefined;
  let deltaBase: bigint | undefined;
  const scope = { onlyUser: false, onlyCa: false, partialReasons: false, indirect: false };
  for (const extension of tbs.crlExtensions ?? []) {
    if (extension.critical && !KNOWN_CRL_EXTENSIONS.has(extension.extnID)) unusable ??= `unknown critical CRL extension ${extension.extnID}`;
    if (extension.extnID === OID.crlNumber) number = BigInt(AsnConvert.parse(extension.extnValue, CRLNumber).value);
    if (extension.extnID === OID.deltaCrlIndicator) deltaBase = BigInt(AsnConvert.parse(extension.extnValue, CRLNumber).value);
    if (extension.extnID === OID.issuingDistributionPoint) {
      const idp = AsnConvert.parse(extension.extnValue, IssuingDistributionPoint);
      scope.onlyUser = idp.onlyContainsUserCerts;
      scope.onlyCa = idp.onlyContainsCACerts;
      scope.partialReasons = idp.onlySomeReasons !== undefined;
      scope.indirect = idp.indirectCRL;
      if (idp.onlyContainsAttributeCerts) unusable ??= "covers attribute certificates only";
    }
  }
  const revoked = new Map<string, RevokedEntry>();
  for (const entry of tbs.revokedCertificates ?? []) {
    let reason: string = "unspecified";
    for (const extension of entry.crlEntryExtensions ?? []) {
      if (extension.critical && !KNOWN_ENTRY_EXTENSIONS.has(extension.extnID)) unusable ??= `unknown critical CRL entry extension ${extension.extnID}`;
      if (extension.extnID === OID.reasonCode) reason = CRL_REASONS[AsnConvert.parse(extension.extnValue, CRLReason).reason] ?? "unspecified";
    }
    revoked.set(serialText(new Uint8Array(entry.userCertificate)), { reason, revokedAt: entry.revocationDate.getTime() });
  }
  return {
    issuer: distinguishedNameFromDer(new Uint8Array(AsnConvert.serialize(tbs.issuer))),
    thisUpdate: tbs.thisUpdate.getTime(),
    nextUpdate: tbs.nextUpdate?.getTime(),
    number,
    deltaBase,
    revoked,
    scope,
    unusable,
    signed: { tbs: tbsBytes, algorithm: algorithmFromAsn(list.signatureAlgorithm), signature: new Uint8Array(list.signature) },
  };
}
