// Chains made the way users make them - Python's cryptography (no key identifiers),
// OpenSSL's command line (a quick intermediate with a non-critical basicConstraints,
// `openssl ca -gencrl` without a crlnumber file, an older CA's ".acme.example"
// constraint, a self-signed client pinned in the trust store), files as users keep
// them (client.pem with its key, a CA bundle with CRLs) - through `certgate verify`
// under both profiles, with OpenSSL's own verdict as a second opinion.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { verifyCommand } from "../../../src/cli/verify.ts";
import { opensslCrl, opensslIssue, opensslSelfSigned, opensslSerial, opensslVerify, type OpensslCert } from "../../helpers/foreign/openssl.ts";
import { runPython } from "../../helpers/foreign/python.ts";

interface Verdict {
  readonly code: number;
  readonly reason: string;
  readonly message: string;
  readonly certIndex: number;
  readonly warnings: readonly string[];
  readonly stderr: string;
}

async function certgateVerify(args: readonly string[]): Promise<Verdict> {
  let out = "";
  let err = "";
  const code = await verifyCommand(
    args,
    (text) => (out += text),
    (text) => (err += text),
  );
  assert.notEqual(code, 2, `usage error: ${err}`);
  const decision = JSON.parse(out) as { reason: string; message: string; certIndex: number; warnings: { rule: string; certIndex: number }[] };
  return {
    code,
    reason: decision.reason,
    message: decision.message,
    certIndex: decision.certIndex,
    warnings: decision.warnings.map((w) => `${w.rule}@${w.certIndex}`).sort(),
    stderr: err,
  };
}

const ROOT_CA = ["basicConstraints = critical, CA:TRUE", "keyUsage = critical, keyCertSign, cRLSign", "subjectKeyIdentifier = hash"];
const CLIENT = [
  "basicConstraints = CA:FALSE",
  "keyUsage = critical, digitalSignature",
  "extendedKeyUsage = clientAuth",
  "subjectKeyIdentifier = hash",
  "authorityKeyIdentifier = keyid",
];

describe("real-world chains", () => {
  const dir = mkdtempSync(join(tmpdir(), "certgate-real-world-"));
  const path = (name: string) => join(dir, name);

  describe("a CA made with Python's cryptography (no authorityKeyIdentifier, no subjectKeyIdentifier)", () => {
    before(() => {
      runPython("cryptography_ca.py", [dir, "alice"]);
      writeFileSync(path("chain.pem"), readFileSync(path("leaf.pem"), "utf8") + readFileSync(path("intermediate.pem"), "utf8"));
    });
    const args = () => ["--ca", path("root.pem"), path("chain.pem")];

    it("is accepted by default, every rule every certificate breaks reported at once", async () => {
      const verdict = await certgateVerify(args());
      assert.equal(verdict.reason, "OK", verdict.message);
      assert.deepEqual(verdict.warnings, [
        "authority-key-identifier-missing@0",
        "authority-key-identifier-missing@1",
        "subject-key-identifier-missing@-1",
        "subject-key-identifier-missing@1",
      ]);
      // Given as an untrusted pool (openssl verify -untrusted), the intermediate is not a presented one: index -1.
      const pooled = await certgateVerify(["--ca", path("root.pem"), "--untrusted", path("intermediate.pem"), path("leaf.pem")]);
      assert.deepEqual(pooled.warnings, [
        "authority-key-identifier-missing@-1",
        "authority-key-identifier-missing@0",
        "subject-key-identifier-missing@-1",
        "subject-key-identifier-missing@-1",
      ]);
      assert.equal(opensslVerify(dir, ["-CAfile", "root.pem", "-untrusted", "intermediate.pem", "-purpose", "sslclient", "leaf.pem"]), "OK");
    });

    it("is refused by strict, with every rule in one refusal", async () => {
      const verdict = await certgateVerify(["--profile", "strict", ...args()]);
      assert.equal(verdict.reason, "NONCONFORMING_CERTIFICATE");
      assert.equal(verdict.certIndex, 0);
      assert.equal(verdict.message.match(/key-identifier-missing/g)?.length, 4, verdict.message);
    });

    it("reads a client.pem holding the leaf, its key and its chain, skipping the key without printing it", async () => {
      const key = readFileSync(path("leaf.key"), "utf8");
      writeFileSync(path("client.pem"), readFileSync(path("leaf.pem"), "utf8") + key + readFileSync(path("intermediate.pem"), "utf8"));
      const verdict = await certgateVerify(["--ca", path("root.pem"), path("client.pem")]);
      assert.equal(verdict.reason, "OK", verdict.message);
      assert.match(verdict.stderr, /PEM block 1 \(PRIVATE KEY\) skipped/);
      const body = key.split("\n")[1]!;
      assert.ok(!verdict.stderr.includes(body));
    });
  });

  describe("CAs made with the OpenSSL command line", () => {
    let root: OpensslCert;
    before(() => {
      root = opensslSelfSigned(dir, "openssl-root", "/CN=openssl-root/O=hand-made", ROOT_CA);
    });

    it("an intermediate with a non-critical basicConstraints (keytool, easy-rsa 2 style): accepted and reported; strict refuses it", async () => {
      const intermediate = opensslIssue(dir, root, "quick-ca", "/CN=quick-ca/O=hand-made", [
        "basicConstraints = CA:TRUE",
        "subjectKeyIdentifier = hash",
        "authorityKeyIdentifier = keyid",
      ]);
      const leaf = opensslIssue(dir, intermediate, "quick-leaf", "/CN=bob", CLIENT);
      writeFileSync(path("quick-chain.pem"), readFileSync(leaf.pem, "utf8") + readFileSync(intermediate.pem, "utf8"));
      const args = ["--ca", root.pem, path("quick-chain.pem")];
      const verdict = await certgateVerify(args);
      assert.equal(verdict.reason, "OK", verdict.message);
      assert.deepEqual(verdict.warnings, ["basic-constraints-not-critical@1"]);
      assert.equal(opensslVerify(dir, ["-CAfile", root.pem, "-untrusted", intermediate.pem, "-purpose", "sslclient", leaf.pem]), "OK");
      const strict = await certgateVerify(["--profile", "strict", ...args]);
      assert.equal(`${strict.reason}@${strict.certIndex}`, "NONCONFORMING_CERTIFICATE@1");
    });

    it("a CRL from `openssl ca -gencrl` without a crlnumber file vouches (reported) and revokes; strict lets it only revoke", async () => {
      const good = opensslIssue(dir, root, "crl-good", "/CN=good", CLIENT);
      const revoked = opensslIssue(dir, root, "crl-revoked", "/CN=revoked", CLIENT);
      const crl = opensslCrl(dir, root, [opensslSerial(revoked, dir)], { crlNumber: false, out: "no-number.crl" });
      const check = (leaf: OpensslCert, profile = "rfc5280") =>
        certgateVerify(["--ca", root.pem, "--crl", crl, "--revocation", "hard_fail", "--profile", profile, leaf.pem]);
      const vouched = await check(good);
      assert.equal(vouched.reason, "OK", vouched.message);
      assert.deepEqual(vouched.warnings, ["crl-number-missing@0"]);
      assert.equal((await check(revoked)).reason, "REVOKED");
      assert.equal((await check(good, "strict")).reason, "REVOCATION_UNKNOWN");
      assert.equal((await check(revoked, "strict")).reason, "REVOKED");
      assert.equal(opensslVerify(dir, ["-CAfile", root.pem, "-CRLfile", crl, "-crl_check", good.pem]), "OK");
      assert.match(opensslVerify(dir, ["-CAfile", root.pem, "-CRLfile", crl, "-crl_check", revoked.pem]), /revoked/);
    });

    it("a CA bundle with a CRL in it is read as `openssl verify -CAfile` reads it", async () => {
      const revoked = opensslIssue(dir, root, "bundle-revoked", "/CN=bundle-revoked", CLIENT);
      const crl = opensslCrl(dir, root, [opensslSerial(revoked, dir)], { crlNumber: true, out: "bundle.crl" });
      writeFileSync(path("bundle.pem"), readFileSync(root.pem, "utf8") + readFileSync(crl, "utf8"));
      const verdict = await certgateVerify(["--ca", path("bundle.pem"), "--revocation", "hard_fail", revoked.pem]);
      assert.equal(verdict.reason, "REVOKED", verdict.message);
      assert.match(opensslVerify(dir, ["-CAfile", path("bundle.pem"), "-crl_check", revoked.pem]), /revoked/);
    });

    it('a dNSName constraint ".acme.example" (an older CA\'s form) means below acme.example, and applies to a host-name CN', async () => {
      const constrained = opensslIssue(dir, root, "nc-ca", "/CN=acme-ca", [
        "basicConstraints = critical, CA:TRUE",
        "keyUsage = critical, keyCertSign",
        "nameConstraints = critical, permitted;DNS:.acme.example",
        "subjectKeyIdentifier = hash",
        "authorityKeyIdentifier = keyid",
      ]);
      const inside = opensslIssue(dir, constrained, "nc-inside", "/CN=svc", [...CLIENT, "subjectAltName = DNS:svc.acme.example"]);
      const evil = opensslIssue(dir, constrained, "nc-evil", "/CN=evil.example", CLIENT);
      const user = opensslIssue(dir, constrained, "nc-user", "/CN=SECONDARY\\/john@acme.com", CLIENT);
      const check = (leaf: OpensslCert) => certgateVerify(["--ca", root.pem, "--untrusted", constrained.pem, leaf.pem]);
      const openssl = (leaf: OpensslCert) => opensslVerify(dir, ["-CAfile", root.pem, "-untrusted", constrained.pem, leaf.pem]);
      const ok = await check(inside);
      assert.equal(ok.reason, "OK", ok.message);
      assert.deepEqual(ok.warnings, ["name-constraint-dns-leading-period@-1"]);
      assert.equal(openssl(inside), "OK");
      assert.equal((await check(evil)).reason, "NAME_CONSTRAINT_VIOLATION");
      assert.match(openssl(evil), /subtree violation/);
      assert.equal((await check(user)).reason, "OK");
      assert.equal(openssl(user), "OK");
      assert.equal(
        (await certgateVerify(["--profile", "strict", "--ca", root.pem, "--untrusted", constrained.pem, inside.pem])).reason,
        "NONCONFORMING_CERTIFICATE",
      );
    });

    it("a self-signed client certificate in the trust store is pinned: trusted for itself, noted", async () => {
      const pinned = opensslSelfSigned(dir, "pinned", "/CN=pinned-service", [
        "basicConstraints = critical, CA:FALSE",
        "keyUsage = critical, digitalSignature",
        "extendedKeyUsage = clientAuth",
        "subjectKeyIdentifier = hash",
      ]);
      const verdict = await certgateVerify(["--ca", pinned.pem, pinned.pem]);
      assert.equal(verdict.reason, "OK", verdict.message);
      assert.match(verdict.stderr, /pinned client certificate/);
      assert.equal(opensslVerify(dir, ["-CAfile", pinned.pem, pinned.pem]), "OK");
    });

    it("a non-CA that is not self-signed is refused as --ca, as serve refuses it, not ignored", async () => {
      const leaf = opensslIssue(dir, root, "not-an-anchor", "/CN=not-an-anchor", CLIENT);
      let err = "";
      const code = await verifyCommand(
        ["--ca", leaf.pem, leaf.pem],
        () => undefined,
        (text) => (err += text),
      );
      assert.equal(code, 2);
      assert.match(err, /not a CA certificate .* not self-signed/);
    });
  });
});
