import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { OID_CLIENT_AUTH } from "../../../src/devpki/ca.ts";
import { issueCrl, issueOcspResponse } from "../../../src/devpki/revocation.ts";
import { generateKeys, type Issued } from "../../../src/devpki/ca.ts";
import { Extension, X509CrlReason } from "../../../src/devpki/x509.ts";
import { createRevocationFetcher } from "../../../src/fetch/revocation-fetcher.ts";
import { validateWithFetch } from "../../../src/fetch/validate-with-fetch.ts";
import { type RevocationMode } from "../../../src/pki/revocation/check.ts";
import { RevocationStore } from "../../../src/pki/revocation/store.ts";
import { createValidator } from "../../../src/validator/validator.ts";
import { AT, VALID, crlOf, newPki, type TestPki } from "../../helpers/pki.ts";
import { startRevocationServer, type RevocationServer } from "../../helpers/revocation-server.ts";
import { settingsFor } from "../../helpers/scenarios.ts";

const FRESH = { thisUpdate: new Date("2026-05-31T00:00:00Z"), nextUpdate: new Date("2026-06-07T00:00:00Z") };
const STALE = { thisUpdate: new Date("2026-05-01T00:00:00Z"), nextUpdate: new Date("2026-05-08T00:00:00Z") };
const fetcher = createRevocationFetcher({ timeoutMs: 300, maxBytes: 1 << 20, failureBackoffMs: 60_000 });

describe("revocation", () => {
  let pki: TestPki;
  let server: RevocationServer;
  let good: Issued;
  let revoked: Issued;
  before(async () => {
    pki = await newPki();
    server = await startRevocationServer();
    good = await pki.client("good");
    revoked = await pki.client("revoked");
  });
  after(() => server.close());

  function run(mode: RevocationMode, store: RevocationStore, leaf: Issued, options: { ocsp?: boolean; fetch?: boolean; ocspResponses?: Uint8Array[] } = {}) {
    const validator = createValidator({ ...settingsFor(pki), revocation: { mode, store, ocsp: options.ocsp ?? false, fetch: options.fetch ?? false } });
    return validateWithFetch(
      validator,
      { chain: { der: [leaf.der, pki.intermediate.der] }, context: "/", method: "GET", ocspResponses: options.ocspResponses ?? [] },
      () => AT,
      fetcher,
    );
  }

  async function storeWith(...ders: Uint8Array[]) {
    const store = new RevocationStore();
    for (const der of ders) store.addCrl(crlOf(der));
    return store;
  }

  it("denies a certificate a fresh CRL lists, with the reason, and allows one it does not", async () => {
    const store = await storeWith(
      await issueCrl(pki.intermediate, { ...FRESH, entries: [{ serialNumber: revoked.cert.serialNumber, reason: X509CrlReason.keyCompromise }] }),
    );
    const denied = await run("soft_fail", store, revoked);
    assert.equal(denied.reason, "REVOKED");
    assert.match(denied.message, /keyCompromise/);
    assert.equal(denied.certIndex, 0);
    assert.equal((await run("soft_fail", store, good)).reason, "OK");
    // require also needs the intermediate's own status: the root's CRL.
    assert.equal((await run("require", store, good)).reason, "REVOCATION_UNKNOWN");
    store.addCrl(crlOf(await issueCrl(pki.root, FRESH)));
    assert.equal((await run("require", store, good)).reason, "OK");
  });

  it("denies a path whose intermediate the root's CRL revokes", async () => {
    const store = await storeWith(
      await issueCrl(pki.root, { ...FRESH, entries: [{ serialNumber: pki.intermediate.issued.cert.serialNumber, reason: X509CrlReason.cACompromise }] }),
      await issueCrl(pki.intermediate, FRESH),
    );
    const decision = await run("soft_fail", store, good);
    assert.equal(decision.reason, "REVOKED");
    assert.equal(decision.certIndex, 1);
  });

  // The root's CRL is always fresh, so only the leaf's status is in question.
  const modes: { name: string; crl: () => Promise<Uint8Array | undefined>; expect: Record<RevocationMode, string> }[] = [
    { name: "no CRL for the leaf", crl: async () => undefined, expect: { off: "OK", soft_fail: "OK", hard_fail: "OK", require: "REVOCATION_UNKNOWN" } },
    {
      name: "a stale CRL",
      crl: () => issueCrl(pki.intermediate, { ...STALE, entries: [] }),
      expect: { off: "OK", soft_fail: "OK", hard_fail: "REVOCATION_UNKNOWN", require: "REVOCATION_UNKNOWN" },
    },
    {
      name: "a CRL signed by the wrong key",
      crl: async () =>
        issueCrl(pki.intermediate, {
          ...FRESH,
          signingKey: (await generateKeys("ecdsa-p256")).privateKey,
          entries: [{ serialNumber: good.cert.serialNumber }],
        }),
      expect: { off: "OK", soft_fail: "OK", hard_fail: "REVOCATION_UNKNOWN", require: "REVOCATION_UNKNOWN" },
    },
    {
      name: "a CRL with an unknown critical extension",
      crl: () => issueCrl(pki.intermediate, { ...FRESH, extraExtensions: [new Extension("1.3.6.1.4.1.99999.9", true, new Uint8Array([5, 0]))] }),
      expect: { off: "OK", soft_fail: "OK", hard_fail: "REVOCATION_UNKNOWN", require: "REVOCATION_UNKNOWN" },
    },
    {
      name: "a fresh CRL not listing the leaf",
      crl: () => issueCrl(pki.intermediate, FRESH),
      expect: { off: "OK", soft_fail: "OK", hard_fail: "OK", require: "OK" },
    },
  ];
  for (const { name, crl, expect } of modes) {
    for (const mode of ["off", "soft_fail", "hard_fail", "require"] as const) {
      it(`${name}, ${mode} -> ${expect[mode]}`, async () => {
        const der = await crl();
        const store = await storeWith(await issueCrl(pki.root, FRESH), ...(der === undefined ? [] : [der]));
        const decision = await run(mode, store, good);
        assert.equal(decision.reason, expect[mode], decision.message);
      });
    }
  }

  it("applies a delta CRL: a new revocation, and removeFromCRL lifting a hold", async () => {
    const held = await pki.client("held");
    const base = await issueCrl(pki.intermediate, {
      ...FRESH,
      number: 5,
      entries: [{ serialNumber: held.cert.serialNumber, reason: X509CrlReason.certificateHold }],
    });
    const delta = await issueCrl(pki.intermediate, {
      ...FRESH,
      number: 6,
      deltaOf: 5,
      entries: [
        { serialNumber: good.cert.serialNumber, reason: X509CrlReason.superseded },
        { serialNumber: held.cert.serialNumber, reason: X509CrlReason.removeFromCRL },
      ],
    });
    const store = await storeWith(base, delta);
    assert.equal((await run("soft_fail", store, good)).reason, "REVOKED");
    assert.equal((await run("soft_fail", store, held)).reason, "OK");
  });

  it("without a fetcher, a source that would need fetching counts as unavailable and the mode decides", async () => {
    const leaf = await pki.client("nofetch", { crlUrls: [`${server.url}/crl/none.crl`] });
    const store = await storeWith(await issueCrl(pki.root, FRESH));
    const soft = createValidator({ ...settingsFor(pki), revocation: { mode: "soft_fail", store, ocsp: false, fetch: true } });
    const request = { chain: { der: [leaf.der, pki.intermediate.der] }, context: "/", method: "GET" };
    assert.equal((await validateWithFetch(soft, request, () => AT, undefined)).reason, "OK");
    const hard = createValidator({ ...settingsFor(pki), revocation: { mode: "hard_fail", store: new RevocationStore(), ocsp: false, fetch: true } });
    const decision = await validateWithFetch(hard, request, () => AT, undefined);
    assert.equal(decision.reason, "REVOCATION_UNKNOWN");
    assert.deepEqual(decision.revocationNeeds, []);
  });

  it("fetches the CRL from the certificate's distribution point", async () => {
    const leaf = await pki.client("dp", { crlUrls: [`${server.url}/crl/intermediate.crl`] });
    server.crls.set(
      "/crl/intermediate.crl",
      await issueCrl(pki.intermediate, { ...FRESH, entries: [{ serialNumber: leaf.cert.serialNumber, reason: X509CrlReason.superseded }] }),
    );
    const decision = await run("soft_fail", new RevocationStore(), leaf, { fetch: true });
    assert.equal(decision.reason, "REVOKED");
    assert.ok(server.requests.includes("GET /crl/intermediate.crl"));
  });

  describe("OCSP", () => {
    let responder: Issued;
    let notResponder: Issued;
    before(async () => {
      responder = await pki.intermediate.issue({ subject: "CN=ocsp-responder, O=certgate", ...VALID, extendedKeyUsage: ["1.3.6.1.5.5.7.3.9"] });
      notResponder = await pki.intermediate.issue({ subject: "CN=not-a-responder, O=certgate", ...VALID, extendedKeyUsage: [OID_CLIENT_AUTH] });
    });

    async function ocspLeaf(name: string) {
      return pki.client(name, { ocspUrls: [`${server.url}/ocsp`] });
    }
    const withRootCrl = async () => storeWith(await issueCrl(pki.root, FRESH));

    it("asks the responder: good allows even under require, revoked denies", async () => {
      const leaf = await ocspLeaf("ocsp-good");
      server.ocspResponse = issueOcspResponse({ ...FRESH, issuer: pki.intermediate, entries: [{ certificate: leaf, status: "good" }] });
      assert.equal((await run("require", await withRootCrl(), leaf, { ocsp: true })).reason, "OK");
      const bad = await ocspLeaf("ocsp-revoked");
      server.ocspResponse = issueOcspResponse({ ...FRESH, issuer: pki.intermediate, entries: [{ certificate: bad, status: "revoked", reason: 1 }] });
      const decision = await run("soft_fail", new RevocationStore(), bad, { ocsp: true });
      assert.equal(decision.reason, "REVOKED");
      assert.match(decision.message, /OCSP, reason keyCompromise/);
    });

    it("accepts a delegated responder with id-kp-OCSPSigning, not one without", async () => {
      const leaf = await ocspLeaf("ocsp-delegated");
      server.ocspResponse = issueOcspResponse({ ...FRESH, issuer: pki.intermediate, signer: responder, entries: [{ certificate: leaf, status: "good" }] });
      assert.equal((await run("require", await withRootCrl(), leaf, { ocsp: true })).reason, "OK");
      const other = await ocspLeaf("ocsp-undelegated");
      server.ocspResponse = issueOcspResponse({ ...FRESH, issuer: pki.intermediate, signer: notResponder, entries: [{ certificate: other, status: "good" }] });
      const decision = await run("hard_fail", new RevocationStore(), other, { ocsp: true });
      assert.equal(decision.reason, "REVOCATION_UNKNOWN");
      assert.match(decision.message, /not signed by the issuer or a delegated OCSP responder/);
    });

    it("refuses a stale OCSP answer under hard_fail", async () => {
      const leaf = await ocspLeaf("ocsp-stale");
      server.ocspResponse = issueOcspResponse({ ...STALE, issuer: pki.intermediate, entries: [{ certificate: leaf, status: "good" }] });
      assert.equal((await run("hard_fail", new RevocationStore(), leaf, { ocsp: true })).reason, "REVOCATION_UNKNOWN");
    });

    it("takes a stapled answer from the request without asking the responder, even after a cached allow", async () => {
      const leaf = await pki.client("stapled");
      const stapled = issueOcspResponse({ ...FRESH, issuer: pki.intermediate, entries: [{ certificate: leaf, status: "revoked" }] });
      assert.equal((await run("soft_fail", new RevocationStore(), leaf, { ocspResponses: [stapled] })).reason, "REVOKED");
      const validator = createValidator({ ...settingsFor(pki), revocation: { mode: "soft_fail", store: new RevocationStore(), ocsp: false, fetch: false } });
      const request = { chain: { der: [leaf.der, pki.intermediate.der] }, context: "/", method: "GET" };
      assert.equal(validator.validate(request, AT).reason, "OK");
      assert.equal(validator.validate({ ...request, ocspResponses: [stapled] }, AT).reason, "REVOKED");
      // The revocation now in the store also retires the allow cached before it.
      assert.equal(validator.validate(request, AT).reason, "REVOKED");
    });

    for (const [mode, expect] of [
      ["soft_fail", "OK"],
      ["hard_fail", "REVOCATION_UNKNOWN"],
      ["require", "REVOCATION_UNKNOWN"],
    ] as const) {
      it(`a responder slower than the timeout, ${mode} -> ${expect}, within the timeout`, async () => {
        const leaf = await ocspLeaf(`slow-${mode}`);
        server.ocspResponse = issueOcspResponse({ ...FRESH, issuer: pki.intermediate, entries: [{ certificate: leaf, status: "good" }] });
        server.delayMs = 3000;
        const started = performance.now();
        const decision = await run(mode, await withRootCrl(), leaf, { ocsp: true });
        server.delayMs = 0;
        assert.equal(decision.reason, expect, decision.message);
        assert.ok(performance.now() - started < 1500, `took ${performance.now() - started} ms`);
      });
    }

    it("never hangs on an unreachable responder", async () => {
      const leaf = await pki.client("unreachable", { ocspUrls: ["http://127.0.0.1:1/ocsp"] });
      const started = performance.now();
      const decision = await run("hard_fail", new RevocationStore(), leaf, { ocsp: true });
      assert.equal(decision.reason, "REVOCATION_UNKNOWN");
      assert.ok(performance.now() - started < 1500);
    });
  });
});
