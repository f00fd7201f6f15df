// The strict DER decoder against an independent reading (asn1js via @peculiar/asn1-x509,
// and OpenSSL via node:crypto): every certificate the tests can reach decodes to the
// same fields both ways, and mutated certificates are refused or read as the oracle
// reads them, never thrown, never read as something else.
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { Authority, type IssueOptions, type KeyAlgorithm } from "../../../src/devpki/ca.ts";
import { writeDevPki } from "../../../src/devpki/dev-pki.ts";
import { Extension } from "../../../src/devpki/x509.ts";
import { decodeCertificate } from "../../../src/pki/certificate/certificate.ts";
import { readPemFile } from "../../../src/pki/pem.ts";
import {
  certificatePoliciesExtension,
  distributionPointsExtension,
  inhibitAnyPolicyExtension,
  nameConstraintsExtension,
  policyConstraintsExtension,
  policyMappingsExtension,
} from "../../helpers/extensions.ts";
import { VALID } from "../../helpers/pki.ts";
import { certificateView, referenceView } from "../../helpers/reference-decoder.ts";

const PKITS = new URL("../../fixtures/pkits/certs/", import.meta.url);

async function pkitsCertificates(): Promise<{ name: string; der: Uint8Array }[]> {
  const files = (await readdir(PKITS)).sort();
  return Promise.all(files.map(async (name) => ({ name, der: new Uint8Array(await readFile(new URL(name, PKITS))) })));
}

async function devPkiCertificates(): Promise<{ name: string; der: Uint8Array }[]> {
  const dir = await mkdtemp(join(tmpdir(), "certgate-devpki-"));
  try {
    await writeDevPki(dir, new Date("2026-06-01T00:00:00Z"));
    const out: { name: string; der: Uint8Array }[] = [];
    for (const file of (await readdir(dir)).filter((f) => f.endsWith(".pem")).sort()) {
      const blocks = readPemFile(await readFile(join(dir, file)), "certificate");
      assert.ok(blocks.ok);
      blocks.certificates.forEach((der, i) => out.push({ name: `${file}[${i}]`, der }));
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One certificate of every shape the issuing code can make: key types, name forms, extensions. */
async function zoo(): Promise<{ name: string; der: Uint8Array }[]> {
  const out: { name: string; der: Uint8Array }[] = [];
  const keyAlgorithms: KeyAlgorithm[] = ["ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "rsa-2048", "rsa-pss-2048", "ed25519"];
  for (const keyAlgorithm of keyAlgorithms) {
    const root = await Authority.root({ subject: `CN=zoo-${keyAlgorithm}, O=certgate`, ...VALID, keyAlgorithm });
    out.push({ name: `root ${keyAlgorithm}`, der: root.der });
    out.push({ name: `leaf by ${keyAlgorithm}`, der: (await root.client({ subject: "CN=leaf", ...VALID, keyAlgorithm })).der });
  }
  const ca = await Authority.root({ subject: "CN=zoo, O=certgate", ...VALID });
  const shapes: { name: string; options: Partial<IssueOptions> }[] = [
    {
      name: "every SAN form",
      options: {
        dnsNames: ["Alice.Example.com"],
        emails: ["alice@example.com"],
        uris: ["spiffe://certgate.dev/ns/a/sa/b"],
        ipAddresses: ["192.0.2.1", "2001:db8::1"],
      },
    },
    { name: "SHA-1 signature", options: { hash: "SHA-1" } },
    { name: "SHA-512 signature", options: { hash: "SHA-512" } },
    { name: "CRL and OCSP URLs", options: { crlUrls: ["http://crl.example/ca.crl"], ocspUrls: ["http://ocsp.example/"] } },
    { name: "escaped specials in names", options: { subject: "CN=a\\,b, O=x\\+y, C=US" } },
    { name: "no extensions but the key identifiers", options: { keyUsage: undefined, extendedKeyUsage: undefined } },
    {
      name: "name constraints",
      options: {
        ca: true,
        extraExtensions: [
          nameConstraintsExtension({
            permitted: [
              { dns: "example.com" },
              { email: ".example.com" },
              { uri: ".example.com" },
              { ip: "10.0.0.0/8" },
              { ip: "2001:db8::/32" },
              { dn: [["2.5.4.10", "certgate"]] },
            ],
            excluded: [{ dns: "bad.example.com" }, { registeredId: "1.2.3.4" }],
          }),
        ],
      },
    },
    {
      name: "policy extensions",
      options: {
        ca: true,
        extraExtensions: [
          certificatePoliciesExtension(["2.16.840.1.101.3.2.1.48.1", "2.5.29.32.0"]),
          policyMappingsExtension([["2.16.840.1.101.3.2.1.48.1", "2.16.840.1.101.3.2.1.48.2"]]),
          policyConstraintsExtension({ requireExplicitPolicy: 0, inhibitPolicyMapping: 2 }),
          inhibitAnyPolicyExtension(1),
        ],
      },
    },
    {
      name: "distribution points of every form",
      options: {
        extraExtensions: [
          distributionPointsExtension([
            { fullName: [{ uri: "http://crl.example/a.crl" }, { dn: [["2.5.4.3", "CRL1"]] }], reasons: 0b0000_0110 },
            { relativeName: [["2.5.4.3", "CRL2"]] },
            { fullName: [{ uri: "ldap://crl.example/b" }], crlIssuer: [{ dn: [["2.5.4.3", "Indirect CRL Issuer"]] }] },
          ]),
        ],
      },
    },
    { name: "an unknown critical extension", options: { extraExtensions: [new Extension("1.3.6.1.4.1.99999.1", true, new Uint8Array([0x05, 0x00]))] } },
  ];
  for (const { name, options } of shapes) {
    const issued = await ca.client({ subject: "CN=zoo leaf, O=certgate", ...VALID, ...options } as IssueOptions);
    out.push({ name, der: issued.der });
  }
  const negative = ca.resign((await ca.client({ subject: "CN=negative", ...VALID })).der, (tbs) => {
    tbs.serialNumber = new Uint8Array([0xfe, 0x01]).buffer;
  });
  out.push({ name: "negative serial", der: negative });
  return out;
}

function assertSameReading(name: string, der: Uint8Array): void {
  const ours = decodeCertificate(der);
  assert.ok(ours.ok, `${name}: refused (${ours.ok ? "" : ours.message})`);
  assert.deepEqual(certificateView(ours.certificate), referenceView(der), name);
}

describe("strict DER decoder against asn1-x509 and OpenSSL", () => {
  let certificates: { name: string; der: Uint8Array }[] = [];
  before(async () => {
    certificates = [...(await pkitsCertificates()), ...(await devPkiCertificates()), ...(await zoo())];
  });

  it("reads every PKITS, dev PKI and generated certificate field for field as the oracle does", () => {
    assert.ok(certificates.length > 440, `only ${certificates.length} certificates`);
    for (const { name, der } of certificates) assertSameReading(name, der);
  });

  it("reads a mutated certificate as the oracle does, or refuses it; never throws", () => {
    type Mutation = (der: Uint8Array) => Uint8Array;
    const truncate = fc.nat().map(
      (n): Mutation =>
        (der) =>
          der.subarray(0, n % der.length),
    );
    const trailing = fc.uint8Array({ minLength: 1, maxLength: 4 }).map(
      (tail): Mutation =>
        (der) =>
          new Uint8Array([...der, ...tail]),
    );
    const flip = fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, mask]): Mutation => (der) => {
      const out = new Uint8Array(der);
      out[at % der.length] = out[at % der.length]! ^ mask;
      return out;
    });
    // A length octet set to 0x80 (indefinite) or grown into a non-minimal long form.
    const indefinite = fc.nat().map((n): Mutation => (der) => {
      const out = new Uint8Array(der);
      const at = 1 + (n % (der.length - 1));
      out[at] = 0x80;
      return out;
    });
    const overlong = fc.nat().map((n): Mutation => (der) => {
      const at = 1 + (n % (der.length - 2));
      if (der[at]! >= 0x80) return der;
      return new Uint8Array([...der.subarray(0, at), 0x81, ...der.subarray(at)]);
    });
    fc.assert(
      fc.property(fc.nat(), fc.oneof(truncate, trailing, flip, indefinite, overlong), (pick, mutate) => {
        const original = certificates[pick % certificates.length]!;
        const der = mutate(original.der);
        const ours = decodeCertificate(der, 0);
        if (!ours.ok) {
          assert.equal(ours.reason, "MALFORMED_CERTIFICATE");
          return;
        }
        // Accepted: the oracle must accept the same bytes and read the same fields.
        assert.deepEqual(certificateView(ours.certificate), referenceView(der), original.name);
      }),
      { numRuns: 1500 },
    );
  });
});
