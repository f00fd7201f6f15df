import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/config/config.ts";
import { defaultConfig } from "../../src/config/default.ts";
import { loadConfigFile, parseConfig } from "../../src/config/load.ts";
import { loadTrustStore } from "../../src/config/trust-material.ts";
import { newPki } from "../helpers/pki.ts";

function problemsOf(text: string): readonly string[] {
  try {
    parseConfig(text, "test.toml", "/etc/certgate");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

const MINIMAL = `[truststore]\nca_files = ["ca.pem"]\n[intermediate_cert_validation]\ncert_cns = ["ca"]\n`;

describe("parseConfig", () => {
  it("reads the WSO2-style keys, applies defaults and resolves paths against the config's folder", () => {
    const config = parseConfig(
      `[server]\nlisten = "unix:/run/certgate.sock"\nmax_chain_length = 4\n[truststore]\nca_files = ["certs/root.pem", "/abs/other.pem"]\nintermediate_files = ["pool.pem"]\n` +
        `[intermediate_cert_validation]\nenable = true\ncert_cns = ["certgate-dev-intermediate"]\nexempt_contexts = ["dcr", "/scim2"]\n[tenant]\nemail_username = true\n`,
      "deployment.toml",
      "/etc/certgate",
    );
    assert.equal(config.server.listen, "unix:/run/certgate.sock");
    assert.equal(config.server.maxChainLength, 4);
    assert.equal(config.server.maxRequestBytes, 65536);
    assert.deepEqual(config.truststore.caFiles, ["/etc/certgate/certs/root.pem", "/abs/other.pem"]);
    assert.deepEqual(config.truststore.intermediateFiles, ["/etc/certgate/pool.pem"]);
    assert.equal(config.truststore.allowSha1, false);
    assert.deepEqual(config.intermediateCertValidation.exemptContexts, ["dcr", "/scim2"]);
    assert.equal(config.tenant.emailUsername, true);
    assert.equal(config.log.level, "info");
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.truststore.caFiles));
  });

  it("reads [ext_authz] with lower-cased header names, and defaults to trusting XFCC only", () => {
    const config = parseConfig(MINIMAL + `[ext_authz]\ncert_header = "X-SSL-CERT"\n[ext_authz.headers]\nuser = "X-Remote-User"\n`, "t", "/");
    assert.equal(config.extAuthz.certHeader, "x-ssl-cert");
    assert.equal(config.extAuthz.headers.user, "x-remote-user");
    assert.equal(config.extAuthz.headers.tenant, "x-certgate-tenant");
    const defaults = parseConfig(MINIMAL, "t", "/").extAuthz;
    assert.deepEqual([defaults.trustXfcc, defaults.trustClientCertHeaders, defaults.certHeader, defaults.userHeader], [true, false, "", "wso2-identity-user"]);
  });

  it("uses 127.0.0.1:50051 when no listen address is given", () => {
    assert.equal(parseConfig(MINIMAL, "t", "/").server.listen, "127.0.0.1:50051");
  });

  const broken: { name: string; text: string; expect: RegExp[] }[] = [
    { name: "TOML syntax", text: "[server\nlisten=", expect: [/not valid TOML: line 1/] },
    { name: "an unknown key", text: MINIMAL + "[server]\nlisen = \"x:1\"\n", expect: [/^server\.lisen: unknown key$/] },
    { name: "an unknown table", text: MINIMAL + "[caching]\nsize = 1\n", expect: [/^caching: unknown key$/] },
    { name: "a wrong type", text: MINIMAL + "[server]\nmax_chain_length = \"8\"\n", expect: [/^server\.max_chain_length: must be an integer, found a string$/] },
    { name: "an out-of-range number", text: MINIMAL + "[server]\nmax_chain_length = 0\n", expect: [/^server\.max_chain_length: must be between 1 and 32/] },
    { name: "a bad listen address", text: MINIMAL + "[server]\nlisten = \"localhost\"\n", expect: [/^server\.listen: must be "host:port"/] },
    { name: "a non-string array item", text: `[truststore]\nca_files = ["a.pem", 3]\n[intermediate_cert_validation]\ncert_cns=["x"]\n`, expect: [/^truststore\.ca_files\[1\]: must be a string, found a number$/] },
    { name: "no trust anchors", text: `[intermediate_cert_validation]\ncert_cns = ["x"]\n`, expect: [/^truststore\.ca_files: at least one/] },
    { name: "CN validation without CNs", text: `[truststore]\nca_files = ["a.pem"]\n`, expect: [/^intermediate_cert_validation\.cert_cns: must list at least one CN/] },
    { name: "an unusable exempt context", text: MINIMAL + `exempt_contexts = ["/a/../b"]\n`, expect: [/^intermediate_cert_validation\.exempt_contexts\[0\]: .* dot segments/] },
    { name: "a bad header name", text: MINIMAL + `[ext_authz.headers]\nuser = "x certgate"\n`, expect: [/^ext_authz\.headers\.user: "x certgate" is not a valid HTTP header name$/] },
    { name: "two principal headers with one name", text: MINIMAL + `[ext_authz.headers]\nuser = "x-user"\ntenant = "X-User"\n`, expect: [/^ext_authz\.headers\.tenant: "x-user" is also ext_authz\.headers\.user$/] },
    { name: "an unknown ext_authz.headers key", text: MINIMAL + `[ext_authz.headers]\nrole = "x-role"\n`, expect: [/^ext_authz\.headers\.role: unknown key$/] },
    { name: "a bad log level", text: MINIMAL + `[log]\nlevel = "loud"\n`, expect: [/^log\.level: must be one of/] },
  ];
  for (const { name, text, expect } of broken) {
    it(`names the key for ${name}`, () => {
      const problems = problemsOf(text);
      for (const pattern of expect) assert.ok(problems.some((p) => pattern.test(p)), `${pattern} not in ${JSON.stringify(problems)}`);
    });
  }

  it("reports every problem at once", () => {
    const problems = problemsOf(`[server]\nlisten = 5\nmax_chain_length = -1\nbogus = 1\n`);
    assert.ok(problems.length >= 5, JSON.stringify(problems));
  });

  it("accepts the built-in default", () => {
    assert.equal(defaultConfig("/tmp/dev").intermediateCertValidation.certCns[0], "certgate-dev-intermediate");
  });
});

describe("loadConfigFile and loadTrustStore", () => {
  it("refuses a missing config file by name", () => {
    assert.throws(() => loadConfigFile("/nonexistent/deployment.toml"), (e: unknown) => e instanceof ConfigError && /ENOENT/.test(e.problems[0]!));
  });

  it("loads anchors and the pool, and names each unreadable or unparsable file", async () => {
    const pki = await newPki();
    const dir = mkdtempSync(join(tmpdir(), "certgate-config-"));
    writeFileSync(join(dir, "root.pem"), pki.root.pem);
    writeFileSync(join(dir, "pool.der"), pki.intermediate.der);
    writeFileSync(join(dir, "garbage.pem"), "not a certificate");
    writeFileSync(join(dir, "leaf.pem"), (await pki.client("alice")).pem);
    const good = parseConfig(`[truststore]\nca_files = ["root.pem"]\nintermediate_files = ["pool.der"]\n[intermediate_cert_validation]\ncert_cns = ["x"]\n`, "t", dir);
    const trust = loadTrustStore(good);
    assert.equal(trust.anchors.length, 1);
    assert.equal(trust.intermediates.length, 1);
    const bad = parseConfig(`[truststore]\nca_files = ["root.pem", "missing.pem", "garbage.pem", "leaf.pem"]\n[intermediate_cert_validation]\ncert_cns = ["x"]\n`, "t", dir);
    assert.throws(
      () => loadTrustStore(bad),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.problems.some((p) => /^truststore\.ca_files\[1\] .*: file not found$/.test(p)) &&
        e.problems.some((p) => /^truststore\.ca_files\[2\] .*no PEM CERTIFICATE block/.test(p)) &&
        e.problems.some((p) => /not a CA certificate/.test(p)),
    );
  });
});
