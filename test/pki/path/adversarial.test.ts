// Hostile chains: each must be refused with a precise code, quickly.
import assert from "node:assert/strict";
import { KeyObject, sign } from "node:crypto";
import { before, describe, it } from "node:test";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate as AsnCertificate } from "@peculiar/asn1-x509";
import { Authority, type Issued } from "../../../src/devpki/ca.ts";
import { createValidator } from "../../../src/validator/validator.ts";
import { AT, VALID, newPki, type TestPki } from "../../helpers/pki.ts";
import { settingsFor } from "../../helpers/scenarios.ts";

describe("adversarial chains", () => {
  let pki: TestPki;
  let validator: ReturnType<typeof createValidator>;
  before(async () => {
    pki = await newPki();
    validator = createValidator(settingsFor(pki));
  });
  const check = (der: Uint8Array[]) => validator.validate({ chain: { der }, context: "/api", method: "GET" }, AT);

  it("refuses a 100-certificate chain before parsing it", async () => {
    const leaf = await pki.client("alice");
    const started = performance.now();
    const decision = check([leaf.der, ...Array.from({ length: 99 }, () => pki.intermediate.der)]);
    assert.equal(decision.reason, "CHAIN_TOO_LONG");
    assert.ok(performance.now() - started < 50);
  });

  it("refuses a certificate claiming to be its own issuer without being self-signed", async () => {
    // Subject = issuer name, but signed by the intermediate's key: not self-signed, and no issuer of that name is trusted.
    const impostor = await pki.intermediate.client({ subject: "CN=certgate-dev-intermediate, O=certgate", ...VALID });
    const decision = check([impostor.der]);
    assert.equal(decision.reason, "PATH_NOT_FOUND");
    assert.match(decision.message, /not a trust anchor|no trusted issuer/);
  });

  it("refuses mismatched signature algorithm fields", async () => {
    const leaf = await pki.client("alice");
    const der = new Uint8Array(leaf.der);
    // The outer signatureAlgorithm OID ecdsa-with-SHA256 (...04 03 02) sits after the TBS; make it SHA384 (...04 03 03).
    const oid = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    let at = -1;
    for (let i = der.length - 120; i < der.length - oid.length; i++) if (oid.every((b, k) => der[i + k] === b)) at = i;
    assert.ok(at > 0);
    der[at + oid.length - 1] = 0x03;
    assert.equal(check([der, pki.intermediate.der]).reason, "BAD_SIGNATURE");
  });

  // Regression, found by the server property test (seeds 2062307861 and -1138097399): a key
  // algorithm OID node:crypto cannot load used to throw on first use and answer INTERNAL.
  it("refuses a certificate whose public key cannot be loaded as malformed, not with an internal error", () => {
    const der = new Uint8Array(pki.intermediate.der);
    const ecPublicKey = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    const at = der.findIndex((_, i) => ecPublicKey.every((b, k) => der[i + k] === b));
    assert.ok(at > 0);
    der[at + 1] = 0x3f; // 1.2.840.10045.2.1 becomes an OID nobody knows
    const decision = check([der]);
    assert.equal(decision.reason, "MALFORMED_CERTIFICATE");
    assert.equal(decision.certIndex, 0);
  });

  it("tolerates negative serial numbers and ones longer than 20 octets (RFC 5280 4.1.2.2), reporting them", async () => {
    // The generator keeps serials positive, so build the negative one by hand and sign it with the intermediate's key.
    const template = AsnConvert.parse((await pki.client("neg")).der, AsnCertificate);
    template.tbsCertificate.serialNumber = new Uint8Array([0xff, 0x01]).buffer;
    const tbs = new Uint8Array(AsnConvert.serialize(template.tbsCertificate));
    template.signatureValue = new Uint8Array(sign("sha256", tbs, KeyObject.from(pki.intermediate.issued.keys.privateKey))).buffer;
    const negative = new Uint8Array(AsnConvert.serialize(template));
    const tolerated = check([negative, pki.intermediate.der]);
    assert.equal(tolerated.reason, "OK");
    assert.equal(tolerated.identity?.serialNumber, "-FF");
    assert.deepEqual(
      tolerated.warnings.map((w) => w.rule),
      ["serial-number-not-positive"],
    );
    const long = check([(await pki.client("long", { serialNumber: "01".repeat(22) })).der, pki.intermediate.der]);
    assert.equal(long.reason, "OK");
    assert.deepEqual(
      long.warnings.map((w) => w.rule),
      ["serial-number-too-long"],
    );
    const twenty = check([(await pki.client("twenty", { serialNumber: "01".repeat(20) })).der, pki.intermediate.der]);
    assert.equal(twenty.reason, "OK");
    assert.deepEqual(twenty.warnings, []);
  });

  it("refuses a certificate over max_certificate_bytes before parsing it", async () => {
    const small = createValidator({ ...settingsFor(pki), maxCertificateBytes: 512 });
    const leaf = await pki.client("alice", { dnsNames: Array.from({ length: 30 }, (_, i) => `name-${i}.example.com`) });
    const decision = small.validate({ chain: { der: [leaf.der, pki.intermediate.der] }, context: "/", method: "GET" }, AT);
    assert.equal(decision.reason, "CERTIFICATE_TOO_LARGE");
  });

  it("stays within its signature-check budget among many same-named cross-signed candidates", async () => {
    const decoys: Issued[] = [];
    for (let i = 0; i < 40; i++) decoys.push((await Authority.root({ subject: "CN=certgate-dev-intermediate, O=certgate", ...VALID })).issued);
    const leaf = await pki.client("alice");
    const started = performance.now();
    const decision = check([leaf.der, ...decoys.slice(0, 7).map((d) => d.der)]);
    assert.notEqual(decision.reason, "OK");
    assert.ok(performance.now() - started < 200);
  });
});
