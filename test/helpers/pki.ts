// Test PKI with fixed times, built with the same issuing code as `certgate certs`.
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
