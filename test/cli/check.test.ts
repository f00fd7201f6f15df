// certgate check: a configuration read as serve reads it, without listening (envoy
// --mode validate, nginx -t): what it holds and what differs from the defaults, or
// every problem on its own line, exit 2.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { runCertgate } from "../helpers/cli-process.ts";
import { keytoolTrustStore } from "../helpers/foreign/keystores.ts";
import { newPki, type TestPki } from "../helpers/pki.ts";

describe("certgate check", () => {
  const dir = mkdtempSync(join(tmpdir(), "certgate-check-"));
  const put = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  let pki: TestPki;
  before(async () => {
    pki = await newPki();
    put("root.pem", pki.root.pem);
  });

  it("prints the settings that differ from the defaults, never a password, and exits 0", async () => {
    keytoolTrustStore(dir, "store.p12", "PKCS12", "s3cret-pass", [{ alias: "root", pem: pki.root.pem }]);
    const config = put(
      "good.toml",
      `[server]\nmax_chain_length = 4\n[truststore]\nfile_name = "store.p12"\npassword = "s3cret-pass"\n` +
        `[intermediate_cert_validation]\ncert_cns = ["issuing-ca"]\n[revocation]\nmode = "hard_fail"\n`,
    );
    const { code, stdout, stderr } = await runCertgate(["check", "--config", config]);
    assert.equal(code, 0, stderr);
    const changed = stdout.slice(stdout.indexOf("settings that differ from the defaults:"));
    for (const line of ["server.max_chain_length = 4", 'revocation.mode = "hard_fail"', 'intermediate_cert_validation.cert_cns = ["issuing-ca"]'])
      assert.ok(changed.includes(`    ${line}\n`), `${line} in\n${stdout}`);
    assert.match(stdout, /truststore\.key_store\.file = ".*store\.p12"/);
    assert.doesNotMatch(stdout, /s3cret-pass/);
    assert.doesNotMatch(changed, /listen|max_request_bytes/, "unchanged settings are not listed");
  });

  it("lists every problem on its own line on stderr, leaves out what follows from a slip, and exits 2", async () => {
    const config = put(
      "bad.toml",
      `[truststore]\nca_file = ["root.pem"]\n[intermediate_cert_validation]\ncert_cns = ["a"]\n[revocation]\nmode = "sometimes"\n`,
    );
    const { code, stdout, stderr } = await runCertgate(["check", "--config", config]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      `certgate: invalid configuration (${config}):\n` +
        '  - revocation.mode: must be one of off, soft_fail, hard_fail, require, found "sometimes"\n' +
        "  - truststore.ca_file: unknown key; did you mean ca_files?\n",
    );
  });

  it("says a missing file is not found", async () => {
    const { code, stderr } = await runCertgate(["check", "--config", join(dir, "absent.toml")]);
    assert.equal(code, 2);
    assert.equal(stderr, `certgate: invalid configuration (${join(dir, "absent.toml")}):\n  - file not found\n`);
  });
});
