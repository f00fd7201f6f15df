// CRLs at production size, made by `openssl ca -gencrl`: read off the event loop
// with their signature checked there; files read again only when they change; a file
// that breaks keeps its previous CRLs; and the CRL in use answers until the new one
// is complete.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { CrlFiles } from "../../src/crl-loading/file-sources.ts";
import { OFF_THREAD_BYTES, decodeCrlFileOffThread, signerKeys } from "../../src/crl-loading/off-thread.ts";
import type { Issued } from "../../src/devpki/ca.ts";
import { Extension } from "../../src/devpki/x509.ts";
import { signedBy } from "../../src/pki/certificate/signature.ts";
import { readPemFile } from "../../src/pki/pem.ts";
import { RevocationStore } from "../../src/pki/revocation/store.ts";
import { createValidator } from "../../src/validator/validator.ts";
import { opensslLargeCrl } from "../helpers/foreign/openssl.ts";
import { crlOf, decoded, newPki, rawCrl, type TestPki } from "../helpers/pki.ts";
import { settingsFor } from "../helpers/scenarios.ts";

const ENTRIES = 100_000;
const serialOf = (issued: Issued) => issued.cert.serialNumber.toUpperCase();
/** The serial's INTEGER contents, as a CRL entry encodes them. */
const contentsOf = (issued: Issued) => Buffer.from(decoded(issued.der).serial).toString("hex");

describe("CRLs at production size", () => {
  const dir = mkdtempSync(join(tmpdir(), "certgate-large-crl-"));
  let pki: TestPki;
  let revokedA: Issued;
  let revokedB: Issued;
  let crlA: string;
  let crlB: string;
  before(async () => {
    pki = await newPki();
    revokedA = await pki.client("listed-a", { notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 86_400_000) });
    revokedB = await pki.client("listed-b", { notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 86_400_000) });
    crlA = await opensslLargeCrl(dir, pki.intermediate.issued, "ca-a", ENTRIES, [serialOf(revokedA)]);
    crlB = await opensslLargeCrl(dir, pki.intermediate.issued, "ca-b", ENTRIES, [serialOf(revokedB)]);
  });

  const derOf = (file: string) => {
    const contents = readPemFile(readFileSync(file), "crl");
    assert.ok(contents.ok);
    return contents.crls[0]!;
  };

  it(`reads a ${ENTRIES.toLocaleString("en")}-entry CRL in a worker, checks its signature there, and finds a listed serial and not another`, async () => {
    const pem = new Uint8Array(readFileSync(crlA));
    assert.ok(pem.byteLength > OFF_THREAD_BYTES, `${pem.byteLength} bytes`);
    const result = await decodeCrlFileOffThread(pem, signerKeys([decoded(pki.intermediate.der)]));
    assert.ok(result.ok, result.ok ? "" : result.why);
    const crl = result.crls[0]!;
    assert.equal(crl.der.byteLength, derOf(crlA).byteLength);
    assert.equal(crl.revoked.count, ENTRIES + 1);
    assert.ok(crl.revoked.lookup(crl.issuer.key, decoded(revokedA.der).serial));
    assert.equal(crl.revoked.lookup(crl.issuer.key, decoded(revokedB.der).serial), undefined);
    // The worker's verdict is remembered under the signer: judging the CRL costs no hash of it. (Asked with
    // another key under the same fingerprint, only a remembered verdict can answer yes.)
    const signer = { fingerprint: decoded(pki.intermediate.der).fingerprint, publicKey: decoded(pki.rogue.der).publicKey };
    assert.equal(signedBy(crl.signed, signer), true);
  });

  it("reads again only the files that changed, and keeps the previous CRLs of one that no longer reads", async () => {
    const files = new CrlFiles();
    const path = join(dir, "in-dir.crl");
    writeFileSync(path, readFileSync(crlA));
    const signers = signerKeys([decoded(pki.intermediate.der)]);
    const first = await files.load([{ path, where: "revocation.crl_dirs" }], signers);
    assert.deepEqual(first.decoded, [path]);
    const again = await files.load([{ path, where: "revocation.crl_dirs" }], signers);
    assert.deepEqual(again.decoded, []);
    assert.equal(again.crls[0], first.crls[0], "the same Crl, not decoded again");
    writeFileSync(path, readFileSync(crlA).subarray(0, 1000));
    const broken = await files.load([{ path, where: "revocation.crl_dirs" }], signers);
    assert.equal(broken.crls[0], first.crls[0], "the previous CRL stays");
    assert.deepEqual(
      broken.problems.map((problem) => `${problem.why} kept=${problem.kept}`),
      ["unparseable kept=true"],
    );
  });

  it("applies a delta CRL over the large base as an overlay: its revocation counts, its removeFromCRL lifts the base's", async () => {
    const loaded = await decodeCrlFileOffThread(new Uint8Array(readFileSync(crlA)), signerKeys([decoded(pki.intermediate.der)]));
    assert.ok(loaded.ok);
    const base = loaded.crls[0]!;
    assert.equal(base.number, 1n);
    const integer = (value: number) => new Uint8Array([0x02, 0x01, value]);
    const delta = rawCrl(pki.intermediate, {
      thisUpdate: new Date(Date.now() - 60_000),
      nextUpdate: new Date(Date.now() + 86_400_000),
      extensions: [new Extension("2.5.29.20", false, integer(2)), new Extension("2.5.29.27", true, integer(1))],
      entries: [
        { serial: contentsOf(revokedA), extensions: [new Extension("2.5.29.21", false, new Uint8Array([0x0a, 0x01, 8]))] },
        { serial: contentsOf(revokedB) },
      ],
    });
    const store = new RevocationStore();
    store.addCrl(base);
    store.addCrl(crlOf(delta));
    const validator = createValidator({ ...settingsFor(pki), revocation: { mode: "hard_fail", store, ocsp: false, fetch: false } });
    const ask = (leaf: Issued) => validator.validate({ chain: { der: [leaf.der, pki.intermediate.der] }, context: "/", method: "GET" }, new Date()).reason;
    assert.deepEqual([ask(revokedA), ask(revokedB)], ["OK", "REVOKED"]);
    assert.equal(base.revoked.count, ENTRIES + 1, "the base index is untouched");
  });

  it("answers from the CRL in use until the new one is complete", async () => {
    const files = new CrlFiles();
    const path = join(dir, "swap.crl");
    writeFileSync(path, readFileSync(crlA));
    const signers = signerKeys([decoded(pki.intermediate.der)]);
    const validatorOf = (crls: Awaited<ReturnType<CrlFiles["load"]>>["crls"]) => {
      const store = new RevocationStore();
      for (const crl of crls) store.addCrl(crl);
      return createValidator({ ...settingsFor(pki), revocation: { mode: "soft_fail", store, ocsp: false, fetch: false } });
    };
    const ask = (validator: ReturnType<typeof createValidator>, leaf: Issued) =>
      validator.validate({ chain: { der: [leaf.der, pki.intermediate.der] }, context: "/", method: "GET" }, new Date()).reason;
    let inUse = validatorOf((await files.load([{ path, where: "revocation.crl_files[0]" }], signers)).crls);
    writeFileSync(path, readFileSync(crlB));
    const loading = files.load([{ path, where: "revocation.crl_files[0]" }], signers);
    // While the new CRL is read in the worker, requests are answered from the old one.
    const during = [ask(inUse, revokedA), ask(inUse, revokedB)];
    await new Promise((resolve) => setImmediate(resolve));
    during.push(ask(inUse, revokedA), ask(inUse, revokedB));
    assert.deepEqual(during, ["REVOKED", "OK", "REVOKED", "OK"]);
    inUse = validatorOf((await loading).crls);
    assert.deepEqual([ask(inUse, revokedA), ask(inUse, revokedB)], ["OK", "REVOKED"]);
  });
});
