// The CRL decoding certgate used before its streaming reader: the whole structure
// parsed by @peculiar/asn1-x509 into objects, one per entry. Kept as the independent
// oracle the streaming reader is compared with (test/pki/revocation/crl.differential.test.ts);
// it cannot hold large CRLs (asn1js refuses more than 10,000 nodes) and never serves a request.
import { AsnConvert } from "@peculiar/asn1-schema";
import { AuthorityKeyIdentifier, CertificateIssuer, CertificateList, CRLReason, IssuingDistributionPoint, Name } from "@peculiar/asn1-x509";
import { distinguishedNameFromDer } from "../../src/pki/certificate/name.ts";
import { serialText } from "../../src/pki/certificate/certificate.ts";

export interface ReferenceCrl {
  readonly issuer: string;
  readonly thisUpdate: number;
  readonly nextUpdate: number | undefined;
  readonly number: bigint | undefined;
  readonly deltaBase: bigint | undefined;
  readonly authorityKeyId: string | undefined;
  /** The issuingDistributionPoint's flags, or undefined without one. */
  readonly scope: { onlyUser: boolean; onlyCa: boolean; onlyAttribute: boolean; indirect: boolean; onlySomeReasons: number | undefined } | undefined;
  /** "SERIAL issuerKey" -> reason name, in entry order (a later duplicate replaces an earlier one). */
  readonly entries: ReadonlyMap<string, { reason: string; revokedAt: number }>;
}

const REASONS = [
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
];

/** A non-negative INTEGER extension value (short form length) as a bigint. */
function integerValue(extnValue: { buffer: ArrayBuffer }): bigint {
  const bytes = new Uint8Array(extnValue.buffer);
  return BigInt(`0x${Buffer.from(bytes.subarray(2, 2 + bytes[1]!)).toString("hex")}`);
}

/** Reason bits as certgate numbers them: bit n of the ASN.1 value is 1 << n. */
function reasonBits(flags: { toNumber(): number } | undefined, length: number): number | undefined {
  if (flags === undefined) return undefined;
  const value = flags.toNumber();
  let bits = 0;
  for (let n = 0; n < length; n++) if ((value & (1 << n)) !== 0) bits |= 1 << n;
  return bits;
}

export function referenceCrl(der: Uint8Array): ReferenceCrl {
  const list = AsnConvert.parse(der, CertificateList);
  const tbs = list.tbsCertList;
  const issuer = distinguishedNameFromDer(new Uint8Array(AsnConvert.serialize(tbs.issuer)));
  const extension = (oid: string) => tbs.crlExtensions?.find((e) => e.extnID === oid);
  const number = extension("2.5.29.20");
  const delta = extension("2.5.29.27");
  const aki = extension("2.5.29.35");
  const idp = extension("2.5.29.28");
  const parsedIdp = idp === undefined ? undefined : AsnConvert.parse(idp.extnValue, IssuingDistributionPoint);
  const entries = new Map<string, { reason: string; revokedAt: number }>();
  let issuerKey = issuer.key;
  for (const entry of tbs.revokedCertificates ?? []) {
    let reason = "unspecified";
    for (const ext of entry.crlEntryExtensions ?? []) {
      if (ext.extnID === "2.5.29.21") reason = REASONS[AsnConvert.parse(ext.extnValue, CRLReason).reason] ?? "unspecified";
      if (ext.extnID === "2.5.29.29") {
        const dn = AsnConvert.parse(ext.extnValue, CertificateIssuer).find((name) => name.directoryName !== undefined)?.directoryName;
        if (dn !== undefined) issuerKey = distinguishedNameFromDer(new Uint8Array(AsnConvert.serialize(AsnConvert.parse(AsnConvert.serialize(dn), Name)))).key;
      }
    }
    entries.set(`${serialText(new Uint8Array(entry.userCertificate))} ${issuerKey}`, { reason, revokedAt: entry.revocationDate.getTime().getTime() });
  }
  return {
    issuer: issuer.key,
    thisUpdate: tbs.thisUpdate.getTime().getTime(),
    nextUpdate: tbs.nextUpdate?.getTime().getTime(),
    number: number === undefined ? undefined : integerValue(number.extnValue),
    deltaBase: delta === undefined ? undefined : integerValue(delta.extnValue),
    authorityKeyId:
      aki === undefined
        ? undefined
        : Buffer.from(AsnConvert.parse(aki.extnValue, AuthorityKeyIdentifier).keyIdentifier?.buffer ?? new ArrayBuffer(0)).toString("hex") || undefined,
    scope:
      parsedIdp === undefined
        ? undefined
        : {
            onlyUser: parsedIdp.onlyContainsUserCerts,
            onlyCa: parsedIdp.onlyContainsCACerts,
            onlyAttribute: parsedIdp.onlyContainsAttributeCerts,
            indirect: parsedIdp.indirectCRL,
            onlySomeReasons: reasonBits(parsedIdp.onlySomeReasons, 9),
          },
    entries,
  };
}
