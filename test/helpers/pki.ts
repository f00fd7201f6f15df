// Test PKI with fixed times, built with the same issuing code as `certgate certs`.
import { KeyObject, sign } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  AlgorithmIdentifier,
  Certificate as AsnCertificate,
  CertificateList,
  Extension as AsnExtension,
  Name,
  RevokedCertificate,
  TBSCertList,
  Time,
} from "@peculiar/asn1-x509";
import type { Extension } from "../../src/devpki/x509.ts";
import { Authority, OID_CLIENT_AUTH, type IssueOptions, type Issued } from "../../src/devpki/ca.ts";
import { decodeCertificate, type Certificate } from "../../src/pki/certificate/certificate.ts";
import { decodeCrl, type Crl } from "../../src/pki/revocation/crl.ts";
import { createTrustStore, type TrustStore } from "../../src/pki/path/trust-store.ts";

export const NOT_BEFORE = new Date("2026-01-01T00:00:00Z");
export const NOT_AFTER = new Date("2028-01-01T00:00:00Z");
/** The validation time every test uses unless it is testing time. */
export const AT = new Date("2026-06-01T00:00:00Z");

export const VALID = { notBefore: NOT_BEFORE, notAfter: NOT_AFTER } as const;

export interface TestPki {
  readonly root: Authority;
  readonly intermediate: Authority;
  readonly rogue: Authority;
  readonly otherRoot: Authority;
  client(cn: string, options?: Partial<IssueOptions>, issuer?: Authority): Promise<Issued>;
}

export async function newPki(): Promise<TestPki> {
  const root = await Authority.root({ subject: "CN=certgate-test-root, O=certgate", ...VALID });
  const intermediate = await root.intermediate({ subject: "CN=certgate-dev-intermediate, O=certgate", ...VALID, pathLength: 0 });
  const rogue = await root.intermediate({ subject: "CN=rogue-intermediate, O=certgate", ...VALID, pathLength: 0 });
  const otherRoot = await Authority.root({ subject: "CN=untrusted-root, O=elsewhere", ...VALID });
  return {
    root,
    intermediate,
    rogue,
    otherRoot,
    client: (cn, options = {}, issuer = intermediate) =>
      issuer.client({ subject: `CN=${cn}, O=certgate`, ...VALID, extendedKeyUsage: [OID_CLIENT_AUTH], ...options }),
  };
}

export function decoded(der: Uint8Array): Certificate {
  const result = decodeCertificate(der);
  if (!result.ok) throw new Error(`test certificate did not decode: ${result.message}`);
  return result.certificate;
}

/** A test CRL, decoded (it must decode). */
export function crlOf(der: Uint8Array): Crl {
  const decoded = decodeCrl(der);
  if (!decoded.ok) throw new Error(`test CRL did not decode: ${decoded.why}`);
  return decoded.crl;
}

export function trustStoreOf(anchors: readonly Authority[], intermediates: readonly Authority[] = []): TrustStore {
  return createTrustStore(
    anchors.map((a) => decoded(a.der)),
    intermediates.map((a) => decoded(a.der)),
  );
}

export interface RawCrlEntry {
  /** Hex INTEGER contents, as encoded (a leading 00 keeps it positive; ff.. is negative). */
  readonly serial: string;
  readonly revokedAt?: Date;
  readonly extensions?: readonly Extension[];
}

/**
 * A CRL of `authority` written field by field, for shapes the CRL generator refuses
 * to make (duplicate serials, no nextUpdate, negative serials), signed with its key.
 */
export function rawCrl(
  authority: Authority,
  options: { thisUpdate: Date; nextUpdate?: Date; entries: readonly RawCrlEntry[]; extensions?: readonly Extension[] },
): Uint8Array {
  const issuer = AsnConvert.parse(authority.der, AsnCertificate).tbsCertificate.subject;
  const algorithm = new AlgorithmIdentifier({ algorithm: "1.2.840.10045.4.3.2" });
  const asnExtensions = (list: readonly Extension[] | undefined) => list?.map((extension) => AsnConvert.parse(extension.rawData, AsnExtension));
  const tbs = new TBSCertList({
    version: 1,
    signature: algorithm,
    issuer: AsnConvert.parse(AsnConvert.serialize(issuer), Name),
    thisUpdate: new Time(options.thisUpdate),
    ...(options.nextUpdate === undefined ? {} : { nextUpdate: new Time(options.nextUpdate) }),
    revokedCertificates: options.entries.map(
      (entry) =>
        new RevokedCertificate({
          userCertificate: new Uint8Array(Buffer.from(entry.serial, "hex")).buffer,
          revocationDate: new Time(entry.revokedAt ?? options.thisUpdate),
          ...(entry.extensions === undefined ? {} : { crlEntryExtensions: asnExtensions(entry.extensions) }),
        }),
    ),
    ...(options.extensions === undefined ? {} : { crlExtensions: asnExtensions(options.extensions) }),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = sign("sha256", tbsDer, KeyObject.from(authority.issued.keys.privateKey));
  return new Uint8Array(
    AsnConvert.serialize(new CertificateList({ tbsCertList: tbs, signatureAlgorithm: algorithm, signature: new Uint8Array(signature).buffer })),
  );
}
