// RFC 5280 6.3.3 CRL processing with generated PKIs: who may sign a CRL (f), which
// CRLs cover a certificate (b), reasons (d), indirect CRLs (5.3.3), serials as integers.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Authority, type Issued } from "../../../src/devpki/ca.ts";
import { issueCrl, type CrlEntry } from "../../../src/devpki/revocation.ts";
import { KeyUsageFlags, X509CrlReason, type Extension } from "../../../src/devpki/x509.ts";
import { createRevocationFetcher } from "../../../src/fetch/revocation-fetcher.ts";
import { validateWithFetch } from "../../../src/fetch/validate-with-fetch.ts";
import type { RevocationMode } from "../../../src/pki/revocation/check.ts";
import { RevocationStore } from "../../../src/pki/revocation/store.ts";
import type { Reason } from "../../../src/reason.ts";
import { createValidator } from "../../../src/validator/validator.ts";
import {
  certificateIssuerExtension,
  distributionPointsExtension,
  issuingDistributionPointExtension,
  type DistributionPointSpec,
} from "../../helpers/extensions.ts";
import { AT, VALID, crlOf, newPki, trustStoreOf, type TestPki } from "../../helpers/pki.ts";
import { settingsFor } from "../../helpers/scenarios.ts";

const FRESH = { thisUpdate: new Date("2026-05-31T00:00:00Z"), nextUpdate: new Date("2026-06-07T00:00:00Z") };
const fetcher = createRevocationFetcher({ timeoutMs: 300, maxBytes: 1 << 20, failureBackoffMs: 60_000 });
/** The intermediate's name as RDNs in encoding order, for cRLIssuer and certificateIssuer. */
const INTERMEDIATE_DN: [string, string][] = [
  ["2.5.4.10", "certgate"],
  ["2.5.4.3", "certgate-dev-intermediate"],
];
const KEY_COMPROMISE_AND_CA = 0b0000_0110;
const OTHER_REASONS = 0b1_1111_1000;

describe("CRL processing (RFC 5280 6.3.3)", () => {
  let pki: TestPki;
  let rootCrl: Uint8Array;
  before(async () => {
    pki = await newPki();
    rootCrl = await issueCrl(pki.root, FRESH);
  });

  function revoke(...leaves: Issued[]): CrlEntry[] {
    return leaves.map((leaf) => ({ serialNumber: leaf.cert.serialNumber, reason: X509CrlReason.keyCompromise }));
  }

  function leaf(name: string, points?: DistributionPointSpec[]): Promise<Issued> {
    return pki.client(name, points === undefined ? {} : { extraExtensions: [distributionPointsExtension(points)] });
  }

  async function check(
    target: Issued,
    crls: Uint8Array[],
    options: { mode?: RevocationMode; pool?: Authority[]; anchors?: Authority[] } = {},
  ): Promise<{ reason: Reason; message: string }> {
    const store = new RevocationStore();
    for (const der of [rootCrl, ...crls]) {
      store.addCrl(crlOf(der));
    }
    const trust = trustStoreOf(options.anchors ?? [pki.root], options.pool ?? []);
    const validator = createValidator({ ...settingsFor(pki), trust, revocation: { mode: options.mode ?? "require", store, ocsp: false, fetch: false } });
    return validateWithFetch(validator, { chain: { der: [target.der, pki.intermediate.der] }, context: "/", method: "GET" }, () => AT, fetcher);
  }

  describe("6.3.3 (f): the CRL issuer's own path", () => {
    let crlSigner: Authority;
    before(async () => {
      crlSigner = await pki.root.intermediate({ subject: "CN=certgate-dev-intermediate, O=certgate", ...VALID, keyUsage: KeyUsageFlags.cRLSign });
    });

    it("accepts a CRL signed by a separate CRL-signing key of the same CA name, and honours its entries", async () => {
      const good = await leaf("good");
      const revoked = await leaf("revoked");
      const crl = await issueCrl(crlSigner, { ...FRESH, entries: revoke(revoked) });
      assert.equal((await check(good, [crl], { pool: [crlSigner] })).reason, "OK");
      assert.equal((await check(revoked, [crl], { pool: [crlSigner] })).reason, "REVOKED");
    });

    it("does not trust a CRL signer that is itself revoked", async () => {
      const good = await leaf("good");
      const crl = await issueCrl(crlSigner, FRESH);
      const revokingRoot = await issueCrl(pki.root, { ...FRESH, number: 2, entries: [{ serialNumber: crlSigner.issued.cert.serialNumber }] });
      const decision = await check(good, [crl, revokingRoot], { pool: [crlSigner] });
      assert.equal(decision.reason, "REVOCATION_UNKNOWN");
      assert.match(decision.message, /CRL signer .* is revoked/);
    });

    it("refuses a CRL signer without cRLSign", async () => {
      const noCrlSign = await pki.root.intermediate({
        subject: "CN=certgate-dev-intermediate, O=certgate",
        ...VALID,
        keyUsage: KeyUsageFlags.digitalSignature,
      });
      const crl = await issueCrl(noCrlSign, FRESH);
      const decision = await check(await leaf("good"), [crl], { pool: [noCrlSign] });
      assert.equal(decision.reason, "REVOCATION_UNKNOWN");
      assert.match(decision.message, /cRLSign/);
    });

    it("refuses a CRL signer whose path ends at another trust anchor", async () => {
      const elsewhere = await pki.otherRoot.intermediate({ subject: "CN=certgate-dev-intermediate, O=certgate", ...VALID, keyUsage: KeyUsageFlags.cRLSign });
      const crl = await issueCrl(elsewhere, FRESH);
      const otherRootCrl = await issueCrl(pki.otherRoot, FRESH);
      const decision = await check(await leaf("good"), [crl, otherRootCrl], { pool: [elsewhere], anchors: [pki.root, pki.otherRoot] });
      assert.equal(decision.reason, "REVOCATION_UNKNOWN");
    });

    it("without a known signer, a CRL neither vouches nor, in soft_fail, denies", async () => {
      const crl = await issueCrl(crlSigner, { ...FRESH, entries: [] });
      assert.equal((await check(await leaf("good"), [crl])).reason, "REVOCATION_UNKNOWN");
      assert.equal((await check(await leaf("good"), [crl], { mode: "soft_fail" })).reason, "OK");
    });
  });

  describe("6.3.3 (b): distribution points and scope", () => {
    const A = { uri: "http://crl.example/a.crl" };
    const B = { uri: "http://crl.example/b.crl" };

    it("a CRL whose issuingDistributionPoint names another distribution point does not cover the certificate", async () => {
      const crl = await issueCrl(pki.intermediate, { ...FRESH, extraExtensions: [issuingDistributionPointExtension({ fullName: [B] })] });
      assert.equal((await check(await leaf("a", [{ fullName: [A] }]), [crl])).reason, "REVOCATION_UNKNOWN");
      assert.equal((await check(await leaf("b", [{ fullName: [B] }]), [crl])).reason, "OK");
    });

    it("a certificate without distribution points is not covered by a CRL scoped to a named distribution point", async () => {
      const crl = await issueCrl(pki.intermediate, { ...FRESH, extraExtensions: [issuingDistributionPointExtension({ fullName: [B] })] });
      assert.equal((await check(await leaf("none"), [crl])).reason, "REVOCATION_UNKNOWN");
    });

    it("onlyContainsCACerts does not cover an end-entity certificate", async () => {
      const crl = await issueCrl(pki.intermediate, { ...FRESH, extraExtensions: [issuingDistributionPointExtension({ onlyCa: true })] });
      assert.equal((await check(await leaf("ee"), [crl])).reason, "REVOCATION_UNKNOWN");
    });

    it("6.3.3 (d): reason-partitioned CRLs cover a certificate only together", async () => {
      const revoked = await leaf("revoked", [{ fullName: [A] }]);
      const good = await leaf("good", [{ fullName: [A] }]);
      const compromise = await issueCrl(pki.intermediate, {
        ...FRESH,
        number: 1,
        entries: revoke(revoked),
        extraExtensions: [issuingDistributionPointExtension({ fullName: [A], onlySomeReasons: KEY_COMPROMISE_AND_CA })],
      });
      const others = await issueCrl(pki.intermediate, {
        ...FRESH,
        number: 2,
        extraExtensions: [issuingDistributionPointExtension({ fullName: [A], onlySomeReasons: OTHER_REASONS })],
      });
      assert.equal((await check(good, [compromise])).reason, "REVOCATION_UNKNOWN");
      assert.equal((await check(good, [compromise, others])).reason, "OK");
      assert.equal((await check(revoked, [compromise, others])).reason, "REVOKED");
    });
  });

  describe("indirect CRLs (6.3.3 (b)(1), 5.3.3 certificateIssuer)", () => {
    let crlAuthority: Authority;
    const AUTHORITY_DN: [string, string][] = [
      ["2.5.4.10", "certgate"],
      ["2.5.4.3", "certgate-crl-authority"],
    ];
    before(async () => {
      crlAuthority = await pki.root.intermediate({ subject: "CN=certgate-crl-authority, O=certgate", ...VALID, keyUsage: KeyUsageFlags.cRLSign });
    });

    const point = (): DistributionPointSpec => ({ fullName: [{ uri: "http://crl.example/indirect.crl" }], crlIssuer: [{ dn: AUTHORITY_DN }] });
    const scope = (indirect: boolean) => [issuingDistributionPointExtension({ fullName: [{ uri: "http://crl.example/indirect.crl" }], indirect })];
    const entryOf = (target: Issued, extensions: Extension[]): CrlEntry => ({
      serialNumber: target.cert.serialNumber,
      reason: X509CrlReason.keyCompromise,
      extensions,
    });

    it("covers a certificate whose distribution point names the CRL issuer, and revokes by certificateIssuer and serial", async () => {
      const good = await leaf("good", [point()]);
      const revoked = await leaf("revoked", [point()]);
      const crl = await issueCrl(crlAuthority, {
        ...FRESH,
        entries: [entryOf(revoked, [certificateIssuerExtension(INTERMEDIATE_DN)])],
        extraExtensions: scope(true),
      });
      assert.equal((await check(good, [crl], { pool: [crlAuthority] })).reason, "OK");
      assert.equal((await check(revoked, [crl], { pool: [crlAuthority] })).reason, "REVOKED");
    });

    it("an entry without certificateIssuer belongs to the CRL issuer, not to the certificate's issuer", async () => {
      const target = await leaf("same-serial", [point()]);
      const crl = await issueCrl(crlAuthority, { ...FRESH, entries: [entryOf(target, [])], extraExtensions: scope(true) });
      assert.equal((await check(target, [crl], { pool: [crlAuthority] })).reason, "OK");
    });

    it("a CRL of the named issuer that is not marked indirect does not cover the certificate", async () => {
      const crl = await issueCrl(crlAuthority, { ...FRESH, extraExtensions: scope(false) });
      assert.equal((await check(await leaf("good", [point()]), [crl], { pool: [crlAuthority] })).reason, "REVOCATION_UNKNOWN");
    });
  });

  it("RFC 5280 4.1.2.2: serial numbers compare as integers, so 0x00FF does not revoke -1 (0xFF)", async () => {
    const template = await leaf("negative");
    const negativeDer = pki.intermediate.resign(template.der, (tbs) => {
      tbs.serialNumber = new Uint8Array([0xff]).buffer;
    });
    const negative = { ...template, der: negativeDer };
    const revokes255 = await issueCrl(pki.intermediate, { ...FRESH, entries: [{ serialNumber: "00ff", reason: X509CrlReason.keyCompromise }] });
    assert.equal((await check(negative, [revokes255])).reason, "OK");
    const positive = await pki.client("positive", { serialNumber: "00ff" });
    assert.equal((await check(positive, [revokes255])).reason, "REVOKED");
  });
});
