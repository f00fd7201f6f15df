import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { RsaSaPssParams } from "@peculiar/asn1-rsa";
import { decodeCertificate } from "../../../src/pki/certificate/certificate.ts";
import { hasExactDerEnvelope } from "../../../src/pki/der.ts";
import { decodePemChain, readPemFile } from "../../../src/pki/pem.ts";
import { weakHashOf } from "../../../src/pki/certificate/signature.ts";
import { newPki, type TestPki } from "../../helpers/pki.ts";

describe("decodePemChain", () => {
  let pki: TestPki;
  before(async () => {
    pki = await newPki();
  });

  it("reads every CERTIFICATE block, ignoring explanatory text between blocks", () => {
    const result = decodePemChain(`Bag Attributes: leaf\n${pki.intermediate.pem}subject=root\n${pki.root.pem}`);
    assert.ok(result.ok);
    assert.deepEqual(
      result.certificates.map((c) => Buffer.from(c).toString("hex")),
      [pki.intermediate.der, pki.root.der].map((d) => Buffer.from(d).toString("hex")),
    );
  });

  const cases: { name: string; input: () => string; certIndex: number }[] = [
    { name: "empty text", input: () => "", certIndex: -1 },
    { name: "no BEGIN line", input: () => "MIIB...", certIndex: -1 },
    { name: "an unterminated block", input: () => pki.root.pem.replace("-----END CERTIFICATE-----", ""), certIndex: -1 },
    { name: "a private key block", input: () => "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", certIndex: 0 },
    { name: "mismatched BEGIN/END labels", input: () => pki.root.pem.replace("END CERTIFICATE", "END X509 CRL"), certIndex: 0 },
    { name: "base64 with a bad character", input: () => pki.root.pem.replace(/\n[A-Za-z]/, "\n*"), certIndex: 0 },
    { name: "an empty block", input: () => "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", certIndex: 0 },
    // "Ł" (U+0141) would read as "A" were the text taken as Latin-1.
    { name: "a character beyond Latin-1 in the body", input: () => pki.root.pem.replace(/\n[A-Za-z]/, "\n\u0141"), certIndex: 0 },
    { name: "padding in the middle of the body", input: () => pki.root.pem.replace(/\n([A-Za-z0-9+/]{2})[A-Za-z0-9+/]{2}/, "\n$1=="), certIndex: 0 },
    { name: "three padding characters", input: () => "-----BEGIN CERTIFICATE-----\nA===\n-----END CERTIFICATE-----\n", certIndex: 0 },
    { name: "a body that is not a multiple of four characters", input: () => pki.root.pem.replace(/\n[A-Za-z0-9+/]/, "\n"), certIndex: 0 },
    { name: "a second bad block after a good one", input: () => pki.root.pem + "-----BEGIN CERTIFICATE-----\nA===\n-----END CERTIFICATE-----\n", certIndex: 1 },
  ];
  for (const { name, input, certIndex } of cases) {
    it(`refuses ${name} with MALFORMED_CERTIFICATE`, () => {
      const result = decodePemChain(input());
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.reason, "MALFORMED_CERTIFICATE");
        assert.equal(result.certIndex, certIndex);
      }
    });
  }

  it("decodes a body whatever its line length and line endings, as RFC 7468 section 3 allows", () => {
    const body = Buffer.from(pki.root.der).toString("base64");
    for (const text of [body, body.replace(/(.{76})/g, "$1\r\n"), body.replace(/(.{16})/g, "$1 \t\n")]) {
      const result = decodePemChain(`-----BEGIN CERTIFICATE-----\n${text}\n-----END CERTIFICATE-----\n`);
      assert.ok(result.ok);
      assert.deepEqual(Buffer.from(result.certificates[0]!), Buffer.from(pki.root.der));
    }
  });

  it("refuses a request chain that carries a private key, says so, and never echoes it", () => {
    for (const label of ["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]) {
      const result = decodePemChain(`${pki.root.pem}-----BEGIN ${label}-----\nU0VDUkVU\n-----END ${label}-----\n`);
      assert.ok(!result.ok);
      assert.equal(result.certIndex, 1);
      assert.match(result.message, /PEM block 1 is a private key .*send only the certificate chain/);
      assert.ok(!result.message.includes("U0VDUkVU"));
    }
  });

  it("reads files as users keep them: keys and other blocks skipped with a note, CRLs kept apart", () => {
    const text = `${pki.root.pem}-----BEGIN EC PRIVATE KEY-----\nU0VDUkVU\n-----END EC PRIVATE KEY-----\n-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n`;
    const contents = readPemFile(Buffer.from(text), "certificate");
    assert.ok(contents.ok);
    assert.equal(contents.certificates.length, 1);
    assert.deepEqual(
      contents.crls.map((der) => [...der]),
      [[0x30, 0x00]],
    );
    assert.deepEqual(contents.skipped, [
      "PEM block 1 (EC PRIVATE KEY) skipped: a private key is not needed and was not read",
      "PEM block 3 (CERTIFICATE REQUEST) skipped",
    ]);
    assert.ok(!contents.skipped.join("").includes("U0VDUkVU"));
    const broken = readPemFile(Buffer.from("-----BEGIN CERTIFICATE-----\nMAA=\n-----END X509 CRL-----\n"), "certificate");
    assert.ok(!broken.ok && /BEGIN CERTIFICATE closed by END X509 CRL/.test(broken.message));
    const onlyKey = readPemFile(Buffer.from("-----BEGIN PRIVATE KEY-----\nU0VDUkVU\n-----END PRIVATE KEY-----\n"), "certificate");
    assert.ok(!onlyKey.ok && /no PEM CERTIFICATE block/.test(onlyKey.message));
  });

  it("takes a file as DER or PEM", () => {
    const der = readPemFile(pki.root.der, "certificate");
    const pem = readPemFile(Buffer.from(pki.root.pem), "certificate");
    assert.ok(der.ok && pem.ok);
    assert.deepEqual(der.certificates, pem.certificates);
  });
});

describe("decodeCertificate", () => {
  let pki: TestPki;
  before(async () => {
    pki = await newPki();
  });

  it("decodes names, serial, validity, extensions and fingerprint", async () => {
    const leaf = await pki.client("alice", { serialNumber: "0b8b617d666a" });
    const result = decodeCertificate(leaf.der, 0);
    assert.ok(result.ok);
    const c = result.certificate;
    assert.equal(c.subject.text, "CN=alice,O=certgate");
    assert.deepEqual(c.subject.commonNames, ["alice"]);
    assert.equal(c.issuer.text, "CN=certgate-dev-intermediate,O=certgate");
    assert.equal(c.serialNumber, "0B8B617D666A"); // as OpenSSL prints it, whole bytes
    assert.deepEqual(c.basicConstraints, { ca: false, pathLength: undefined });
    assert.deepEqual(c.extendedKeyUsage, ["1.3.6.1.5.5.7.3.2"]);
    assert.equal(c.keyUsage, 1);
    assert.equal(c.fingerprint.length, 64);
    assert.equal(c.selfIssued, false);
    assert.equal(c.signatureAlgorithmsMatch, true);
    assert.equal(c.weakHash, undefined);
  });

  const malformed: { name: string; bytes: () => Uint8Array }[] = [
    { name: "empty input", bytes: () => new Uint8Array() },
    { name: "truncated DER", bytes: () => pki.root.der.slice(0, pki.root.der.length - 10) },
    { name: "trailing garbage", bytes: () => new Uint8Array([...pki.root.der, 0, 0]) },
    { name: "random bytes", bytes: () => new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]) },
    { name: "a non-SEQUENCE", bytes: () => new Uint8Array([0x04, 0x02, 0x00, 0x00]) },
    { name: "an indefinite (BER) length", bytes: () => new Uint8Array([0x30, 0x80, ...pki.root.der.slice(4), 0, 0]) },
  ];
  for (const { name, bytes } of malformed) {
    it(`refuses ${name} with MALFORMED_CERTIFICATE and the index`, () => {
      const result = decodeCertificate(bytes(), 3);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.reason, "MALFORMED_CERTIFICATE");
        assert.equal(result.certIndex, 3);
      }
    });
  }

  it("refuses a non-minimal DER length encoding", () => {
    assert.equal(hasExactDerEnvelope(new Uint8Array([0x30, 0x81, 0x03, 1, 2, 3])), false);
    assert.equal(hasExactDerEnvelope(new Uint8Array([0x30, 0x03, 1, 2, 3])), true);
  });
});

describe("weakHashOf", () => {
  const algorithm = (oid: string, parameters?: ArrayBuffer) => ({ oid, parameters: parameters === undefined ? undefined : new Uint8Array(parameters) });
  const cases: { name: string; algorithm: ReturnType<typeof algorithm>; expect: string | undefined }[] = [
    { name: "md5WithRSAEncryption", algorithm: algorithm("1.2.840.113549.1.1.4"), expect: "md5" },
    { name: "sha1WithRSAEncryption", algorithm: algorithm("1.2.840.113549.1.1.5"), expect: "sha1" },
    { name: "ecdsa-with-SHA1", algorithm: algorithm("1.2.840.10045.4.1"), expect: "sha1" },
    { name: "ecdsa-with-SHA256", algorithm: algorithm("1.2.840.10045.4.3.2"), expect: undefined },
    { name: "RSASSA-PSS without parameters (SHA-1 default)", algorithm: algorithm("1.2.840.113549.1.1.10"), expect: "sha1" },
    {
      name: "RSASSA-PSS with SHA-256",
      algorithm: algorithm(
        "1.2.840.113549.1.1.10",
        AsnConvert.serialize(
          new RsaSaPssParams({
            hashAlgorithm: new AlgorithmIdentifier({ algorithm: "2.16.840.1.101.3.4.2.1" }),
            maskGenAlgorithm: new AlgorithmIdentifier({
              algorithm: "1.2.840.113549.1.1.8",
              parameters: AsnConvert.serialize(new AlgorithmIdentifier({ algorithm: "2.16.840.1.101.3.4.2.1" })),
            }),
          }),
        ),
      ),
      expect: undefined,
    },
  ];
  for (const { name, algorithm, expect } of cases) {
    it(`${name} -> ${expect ?? "strong"}`, () => assert.equal(weakHashOf(algorithm), expect));
  }
});
