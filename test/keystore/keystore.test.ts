// WSO2's trust stores as operators make them: keytool's JKS and PKCS12 (Java 17), and
// OpenSSL's `pkcs12 -export -nokeys` with its older and odder options. Each is read to
// the certificates it holds, or refused with a reason that names what to do.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { readKeyStore } from "../../src/keystore/keystore.ts";
import { bytesOf, keytoolKeyEntry, keytoolTrustStore, opensslKeyStore, opensslTrustStore } from "../helpers/foreign/keystores.ts";
import { newPki, type TestPki } from "../helpers/pki.ts";

const PASSWORD = "wso2carbon";

describe("trust store files", () => {
  const dir = mkdtempSync(join(tmpdir(), "certgate-keystores-"));
  let pki: TestPki;
  const hex = (der: Uint8Array) => Buffer.from(der).toString("hex");
  before(async () => {
    pki = await newPki();
  });

  const read = (path: string, password = PASSWORD, type?: "JKS" | "PKCS12") => readKeyStore(bytesOf(path), password, type);

  for (const type of ["JKS", "PKCS12"] as const) {
    it(`reads keytool's ${type} trust store: every trusted-certificate entry, by alias, byte for byte`, () => {
      const store = keytoolTrustStore(dir, `trust.${type}`, type, PASSWORD, [
        { alias: "root", pem: pki.root.pem },
        { alias: "other", pem: pki.otherRoot.pem },
      ]);
      const contents = read(store, PASSWORD, type);
      assert.ok(contents.ok, contents.ok ? "" : contents.why);
      const byAlias = new Map(contents.certificates.map((entry) => [entry.alias, entry]));
      assert.equal(hex(byAlias.get("root")!.der), hex(pki.root.der));
      assert.equal(hex(byAlias.get("other")!.der), hex(pki.otherRoot.der));
      assert.ok(contents.certificates.every((entry) => entry.jdkTrusted));
      assert.deepEqual(contents.notes, []);
    });

    it(`refuses keytool's ${type} store with a wrong password, saying so`, () => {
      const store = keytoolTrustStore(dir, `wrong.${type}`, type, PASSWORD, [{ alias: "root", pem: pki.root.pem }]);
      const contents = read(store, "changeit", type);
      assert.equal(contents.ok, false);
      assert.match(contents.ok ? "" : contents.why, /^wrong password, or the file is damaged/);
    });

    it(`skips a ${type} private-key entry with a note, and keeps the trusted ones`, () => {
      const store = keytoolTrustStore(dir, `mixed.${type}`, type, PASSWORD, [{ alias: "root", pem: pki.root.pem }]);
      keytoolKeyEntry(store, type, PASSWORD, "server-key");
      const contents = read(store, PASSWORD, type);
      assert.ok(contents.ok, contents.ok ? "" : contents.why);
      assert.deepEqual(
        contents.certificates.map((entry) => entry.alias),
        ["root"],
      );
      assert.ok(contents.notes.some((note) => note.startsWith('entry "server-key": a private key')));
    });
  }

  it("reads OpenSSL's -nokeys export, which carries no JDK trusted attribute, and says which type the file is", () => {
    const store = opensslTrustStore(dir, "openssl.p12", pki.root.pem + pki.intermediate.pem, PASSWORD);
    const contents = read(store, PASSWORD, "JKS");
    assert.ok(contents.ok, contents.ok ? "" : contents.why);
    assert.deepEqual(
      contents.certificates.map((entry) => hex(entry.der)),
      [hex(pki.root.der), hex(pki.intermediate.der)],
    );
    assert.ok(contents.certificates.every((entry) => !entry.jdkTrusted));
    assert.deepEqual(contents.notes, ['the file is PKCS12 although type = "JKS"; read as PKCS12, as Java does']);
  });

  const variants: [string, readonly string[]][] = [
    ["unencrypted certificates (-certpbe NONE)", ["-certpbe", "NONE"]],
    ["3DES and a SHA-1 MAC (older OpenSSL and Java)", ["-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1"]],
    ["a SHA-512 MAC", ["-macalg", "sha512"]],
    ["no MAC (-nomac)", ["-nomac"]],
  ];
  for (const [name, options] of variants) {
    it(`reads a PKCS#12 store with ${name}`, () => {
      const store = opensslTrustStore(dir, `${name.replace(/\W+/g, "-")}.p12`, pki.root.pem, PASSWORD, options);
      const contents = read(store);
      assert.ok(contents.ok, contents.ok ? "" : contents.why);
      assert.equal(hex(contents.certificates[0]!.der), hex(pki.root.der));
    });
  }

  it("refuses RC2 (Java 8 keytool, openssl -legacy) and says how to convert the store", () => {
    const store = opensslTrustStore(dir, "legacy.p12", pki.root.pem, PASSWORD, ["-legacy"]);
    const contents = read(store);
    assert.equal(contents.ok, false);
    assert.match(contents.ok ? "" : contents.why, /pbeWithSHAAnd40BitRC2-CBC, which certgate does not read; convert it once: keytool -importkeystore/);
  });

  it("does not take a private-key entry's certificate as a trust anchor", async () => {
    const store = opensslKeyStore(dir, "with-key.p12", pki.intermediate.pem, await pki.intermediate.issued.privateKeyPem(), PASSWORD);
    const contents = read(store);
    assert.ok(contents.ok);
    assert.deepEqual(contents.certificates, []);
    assert.ok(contents.notes.some((note) => /the certificate of a private-key entry, not a trust anchor/.test(note)));
  });

  it("refuses what is not a trust store, or is cut short, without throwing", () => {
    const garbage = join(dir, "garbage");
    writeFileSync(garbage, "not a store");
    assert.deepEqual(read(garbage), { ok: false, why: "neither a PKCS#12 nor a JKS file" });
    const jks = bytesOf(keytoolTrustStore(dir, "cut.jks", "JKS", PASSWORD, [{ alias: "root", pem: pki.root.pem }]));
    const p12 = bytesOf(opensslTrustStore(dir, "cut.p12", pki.root.pem, PASSWORD));
    for (const whole of [jks, p12]) {
      for (const length of [3, 40, Math.floor(whole.length / 2), whole.length - 1]) {
        const contents = readKeyStore(whole.subarray(0, length), PASSWORD, undefined);
        assert.equal(contents.ok, false, `${length} of ${whole.length} bytes`);
      }
    }
  });
});
