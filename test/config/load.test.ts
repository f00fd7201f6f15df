import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { spiffeBundleJson, spiffeRoot } from "../../src/devpki/spiffe.ts";
import { ConfigError } from "../../src/config/config.ts";
import { fileURLToPath } from "node:url";
import { defaultConfig } from "../../src/config/default.ts";
import { DEV_PKI_DIR } from "../../src/devpki/layout.ts";
import { loadConfigFile, parseConfig } from "../../src/config/load.ts";
import { loadTrustDomains, loadTrustStore } from "../../src/config/trust-material.ts";
import { VALID, newPki } from "../helpers/pki.ts";

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
    { name: "a misspelt key", text: MINIMAL + '[server]\nlisen = "x:1"\n', expect: [/^server\.lisen: unknown key; did you mean listen\?$/] },
    {
      name: "a misspelt table",
      text: MINIMAL + "[intermediate_cert_validaton]\nenable = true\n",
      expect: [/^intermediate_cert_validaton: unknown table; did you mean \[intermediate_cert_validation\]\?$/],
    },
    { name: "a key unknown in a table only certgate uses", text: MINIMAL + "[revocation]\nbogus = 1\n", expect: [/^revocation\.bogus: unknown key$/] },
    { name: "a wrong type", text: MINIMAL + '[server]\nmax_chain_length = "8"\n', expect: [/^server\.max_chain_length: must be an integer, found a string$/] },
    { name: "an out-of-range number", text: MINIMAL + "[server]\nmax_chain_length = 0\n", expect: [/^server\.max_chain_length: must be between 1 and 32/] },
    { name: "a bad listen address", text: MINIMAL + '[server]\nlisten = "localhost"\n', expect: [/^server\.listen: must be "host:port"/] },
    {
      name: "a non-string array item",
      text: `[truststore]\nca_files = ["a.pem", 3]\n[intermediate_cert_validation]\ncert_cns=["x"]\n`,
      expect: [/^truststore\.ca_files\[1\]: must be a string, found a number$/],
    },
    { name: "no trust anchors", text: `[intermediate_cert_validation]\ncert_cns = ["x"]\n`, expect: [/^truststore\.ca_files: at least one/] },
    {
      name: "CN validation without CNs",
      text: `[truststore]\nca_files = ["a.pem"]\n`,
      expect: [/^intermediate_cert_validation\.cert_cns: must list at least one CN/],
    },
    {
      name: "an unusable exempt context",
      text: MINIMAL + `exempt_contexts = ["/a/../b"]\n`,
      expect: [/^intermediate_cert_validation\.exempt_contexts\[0\]: .* dot segments/],
    },
    {
      name: "a bad header name",
      text: MINIMAL + `[ext_authz.headers]\nuser = "x certgate"\n`,
      expect: [/^ext_authz\.headers\.user: "x certgate" is not a valid HTTP header name$/],
    },
    {
      name: "two principal headers with one name",
      text: MINIMAL + `[ext_authz.headers]\nuser = "x-user"\ntenant = "X-User"\n`,
      expect: [/^ext_authz\.headers\.tenant: "x-user" is also ext_authz\.headers\.user$/],
    },
    { name: "an unknown ext_authz.headers key", text: MINIMAL + `[ext_authz.headers]\nrole = "x-role"\n`, expect: [/^ext_authz\.headers\.role: unknown key$/] },
    { name: "a bad log level", text: MINIMAL + `[log]\nlevel = "loud"\n`, expect: [/^log\.level: must be one of/] },
    {
      name: "an unknown principal source",
      text: MINIMAL + `[principal]\nsource = "subject"\n`,
      expect: [/^principal\.source: must be one of cn, uri_san, email_san, dns_san/],
    },
    {
      name: "a SAN source without mappings",
      text: MINIMAL + `[principal]\nsource = "uri_san"\n`,
      expect: [/^principal\.mapping: principal\.source = "uri_san" needs at least one/],
    },
    {
      name: "mappings with the CN source",
      text: MINIMAL + `[[principal.mapping]]\nmatch = "spiffe://td/{a}"\nusername = "{a}"\n`,
      expect: [/^principal\.mapping: applies only when principal\.source names a SAN/],
    },
    {
      name: "a broken mapping template",
      text: MINIMAL + `[principal]\nsource = "uri_san"\n[[principal.mapping]]\nmatch = "spiffe://td/{a}"\nusername = "{b}"\nrole = "x"\n`,
      expect: [/^principal\.mapping\[0\]\.username: "\{b\}" uses \{b\}, which match does not capture$/, /^principal\.mapping\[0\]\.role: unknown key$/],
    },
    {
      name: "a SAN source with thumbprint mappings",
      text:
        MINIMAL +
        `[principal]\nsource = "dns_san"\n[[principal.mapping]]\nmatch = "{h}.x"\nusername = "{h}"\n[client_certificate_based_authentication]\nenable = true\n`,
      expect: [/^principal\.source: "dns_san" .* cannot be combined with \[client_certificate_based_authentication\]/],
    },
    {
      name: "bad trust domains",
      text:
        MINIMAL +
        `[[trust_domain]]\nname = "Prod.Example"\nca_files = ["a.pem"]\n[[trust_domain]]\nname = "dup"\nca_files = ["a.pem"]\n[[trust_domain]]\nname = "dup"\n`,
      expect: [
        /^trust_domain\[0\]\.name: .* lower-case/,
        /^trust_domain\[2\]\.name: "dup" is also trust_domain\[1\]$/,
        /^trust_domain\[2\]: set ca_files, bundle_file or both/,
      ],
    },
    {
      name: "a rule pinned to an unknown trust domain",
      text:
        MINIMAL +
        `[[trust_domain]]\nname = "a.org"\nca_files = ["a.pem"]\n[[resource.access_control]]\ncontext = "/x"\ntrust_domains = ["b.org"]\nprincipals = [""]\n`,
      expect: [
        /^resource\.access_control\[0\]\.trust_domains\[0\]: no \[\[trust_domain\]\] named "b\.org"$/,
        /^resource\.access_control\[0\]\.principals\[0\]: "" is empty$/,
      ],
    },
    {
      name: "principals on an unsecured rule",
      text: MINIMAL + `[[resource.access_control]]\ncontext = "/x"\nsecure = false\nprincipals = ["john"]\n`,
      expect: [/^resource\.access_control\[0\]: trust_domains and principals need secure = true/],
    },
  ];
  for (const { name, text, expect } of broken) {
    it(`names the key for ${name}`, () => {
      const problems = problemsOf(text);
      for (const pattern of expect)
        assert.ok(
          problems.some((p) => pattern.test(p)),
          `${pattern} not in ${JSON.stringify(problems)}`,
        );
    });
  }

  it("reports every problem at once", () => {
    const problems = problemsOf(`[server]\nlisten = 5\nmax_chain_length = -1\nlisen = 1\n`);
    assert.ok(problems.length >= 5, JSON.stringify(problems));
  });

  it("reads [principal], [[principal.mapping]] and [[trust_domain]], and lets trust domains stand in for truststore.ca_files", () => {
    const config = parseConfig(
      `[intermediate_cert_validation]\nenable = false\n[principal]\nsource = "uri_san"\n[[principal.mapping]]\nmatch = "spiffe://{td}/{sa}"\nusername = "{sa}"\nuser_store = "SPIFFE"\n` +
        `[[trust_domain]]\nname = "a.org"\nbundle_file = "a.json"\n[[trust_domain]]\nname = "b.org"\nca_files = ["b.pem"]\n[ext_authz.headers]\nspiffe_id = "X-Peer-Id"\n`,
      "t",
      "/etc/certgate",
    );
    assert.deepEqual(config.principal, { source: "uri_san", mappings: [{ match: "spiffe://{td}/{sa}", username: "{sa}", userStore: "SPIFFE" }] });
    assert.deepEqual(config.trustDomains, [
      { name: "a.org", caFiles: [], bundleFile: "/etc/certgate/a.json" },
      { name: "b.org", caFiles: ["/etc/certgate/b.pem"], bundleFile: undefined },
    ]);
    assert.equal(config.extAuthz.headers.spiffeId, "x-peer-id");
  });

  it("accepts the built-in default", () => {
    assert.equal(defaultConfig("/tmp/dev").intermediateCertValidation.certCns[0], "certgate-dev-intermediate");
  });

  it("ships examples/dev/deployment.toml as the built-in default written out, on its own ports", () => {
    const example = loadConfigFile(fileURLToPath(new URL("../../examples/dev/deployment.toml", import.meta.url)));
    const builtIn = defaultConfig(DEV_PKI_DIR);
    const { server, metrics, source: _source, ...rest } = example;
    const { server: builtInServer, metrics: builtInMetrics, source: _builtInSource, ...builtInRest } = builtIn;
    assert.deepEqual(rest, builtInRest);
    assert.notEqual(server.listen, builtInServer.listen);
    assert.notEqual(metrics.listen, builtInMetrics.listen);
  });
});

describe("loadConfigFile and loadTrustStore", () => {
  it("refuses a missing config file by name", () => {
    assert.throws(
      () => loadConfigFile("/nonexistent/deployment.toml"),
      (e: unknown) => e instanceof ConfigError && e.problems[0] === "file not found" && e.message.includes("/nonexistent/deployment.toml"),
    );
  });

  it("loads anchors and the pool, and names each unreadable or unparsable file", async () => {
    const pki = await newPki();
    const dir = mkdtempSync(join(tmpdir(), "certgate-config-"));
    writeFileSync(join(dir, "root.pem"), pki.root.pem);
    writeFileSync(join(dir, "pool.der"), pki.intermediate.der);
    writeFileSync(join(dir, "garbage.pem"), "not a certificate");
    writeFileSync(join(dir, "leaf.pem"), (await pki.client("alice")).pem);
    const good = parseConfig(
      `[truststore]\nca_files = ["root.pem"]\nintermediate_files = ["pool.der"]\n[intermediate_cert_validation]\ncert_cns = ["x"]\n`,
      "t",
      dir,
    );
    const trust = loadTrustStore(good);
    assert.equal(trust.anchors.length, 1);
    assert.equal(trust.intermediates.length, 1);
    const bad = parseConfig(
      `[truststore]\nca_files = ["root.pem", "missing.pem", "garbage.pem", "leaf.pem"]\n[intermediate_cert_validation]\ncert_cns = ["x"]\n`,
      "t",
      dir,
    );
    assert.throws(
      () => loadTrustStore(bad),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.problems.some((p) => /^truststore\.ca_files\[1\] .*: file not found$/.test(p)) &&
        e.problems.some((p) => /^truststore\.ca_files\[2\] .*no PEM CERTIFICATE block/.test(p)) &&
        e.problems.some((p) => /not a CA certificate/.test(p)),
    );
  });

  it("loads each trust domain's ca_files and bundle, and names a bad bundle by its key", async () => {
    const pki = await newPki();
    const a = await spiffeRoot("a.org", VALID);
    const dir = mkdtempSync(join(tmpdir(), "certgate-domains-"));
    writeFileSync(join(dir, "a.json"), await spiffeBundleJson([a]));
    writeFileSync(join(dir, "b.pem"), pki.root.pem);
    writeFileSync(join(dir, "broken.json"), JSON.stringify({ keys: [{ kty: "EC", use: "x509-svid", x5c: [] }] }));
    writeFileSync(
      join(dir, "leaf.json"),
      JSON.stringify({ keys: [{ kty: "EC", use: "x509-svid", x5c: [Buffer.from((await pki.client("x")).der).toString("base64")] }] }),
    );
    const toml = (bundle: string) =>
      `[intermediate_cert_validation]\nenable = false\n[[trust_domain]]\nname = "a.org"\nbundle_file = "${bundle}"\n[[trust_domain]]\nname = "b.org"\nca_files = ["b.pem"]\n`;
    const domains = loadTrustDomains(parseConfig(toml("a.json"), "t", dir), []);
    assert.deepEqual([...domains.keys()], ["a.org", "b.org"]);
    assert.equal(domains.get("a.org")!.anchors[0]!.subject.text, "CN=a.org SPIFFE CA,O=a.org");
    assert.equal(domains.get("b.org")!.anchors[0]!.subject.text, "CN=certgate-test-root,O=certgate");
    const refused = (bundle: string, pattern: RegExp) =>
      assert.throws(
        () => loadTrustDomains(parseConfig(toml(bundle), "t", dir), []),
        (e: unknown) => e instanceof ConfigError && e.problems.some((p) => pattern.test(p)),
      );
    refused(
      "broken.json",
      /^trust_domain\[0\]\.bundle_file \(.*broken\.json\): not a usable SPIFFE bundle: keys\[0\]: an x509-svid key must hold exactly one certificate/,
    );
    refused("missing.json", /^trust_domain\[0\]\.bundle_file \(.*missing\.json\): file not found$/);
    refused("leaf.json", /^trust_domain\[0\] \(a\.org\): .* is not a CA certificate/);
  });
});
