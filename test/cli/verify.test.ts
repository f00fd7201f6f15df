import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { runCertgate as certgate, serveCertgate } from "../helpers/cli-process.ts";
import { AT } from "../helpers/pki.ts";
import { CERT_CNS, EXEMPT_CONTEXTS, buildScenarios, mappingsToml } from "../helpers/scenarios.ts";

const BUF = join(createRequire(import.meta.url).resolve("@bufbuild/buf/package.json"), "../bin/buf");
const VALIDATE = "certgate.v1.CertificateValidator/Validate";

describe("certgate verify", async () => {
  const { pki, scenarios } = await buildScenarios();
  const dir = mkdtempSync(join(tmpdir(), "certgate-verify-"));
  const file = (name: string, content: string | Uint8Array) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  let root: string;
  let config: string;
  before(() => {
    root = file("root.pem", pki.root.pem);
    config = file(
      "deployment.toml",
      `[truststore]\nca_files = ["root.pem"]\n[intermediate_cert_validation]\ncert_cns = ${JSON.stringify(CERT_CNS)}\nexempt_contexts = ${JSON.stringify(EXEMPT_CONTEXTS)}\n` +
        mappingsToml(pki),
    );
  });

  // The same scenarios the Validate RPC answers: the CLI must reach the same decision.
  const picked = [
    "valid chain, CN checked",
    "rogue intermediate",
    "expired leaf",
    "untrusted root",
    "exempt context, user header",
    "exempt context, a user the mapping does not allow",
    "serverAuth-only leaf",
  ];
  for (const name of picked) {
    it(`agrees with Validate: ${name}`, async () => {
      const scenario = scenarios.find((s) => s.name === name)!;
      const leaf = file(`${name.replace(/\W+/g, "-")}.pem`, (scenario.chain as { pem: string }).pem);
      const args = ["verify", "--config", config, "--at", AT.toISOString(), "--context", scenario.context, leaf];
      if (scenario.userHeader !== undefined) args.splice(1, 0, "--user", scenario.userHeader);
      const { code, stdout } = await certgate(args);
      const decision = JSON.parse(stdout) as { allowed: boolean; reason: string };
      assert.equal(decision.reason, scenario.expect);
      assert.equal(code, scenario.expect === "OK" ? 0 : 1);
    });
  }

  it("prints the ValidateResponse the service sends, as canonical proto3 JSON with every field (what buf curl --emit-defaults prints)", async () => {
    const served = file("served.toml", `[server]\nlisten = "127.0.0.1:0"\n[metrics]\nlisten = ""\n` + readFileSync(config, "utf8"));
    const server = await serveCertgate(served);
    try {
      for (const name of ["valid chain, CN checked", "rogue intermediate", "exempt context, user header"]) {
        const scenario = scenarios.find((s) => s.name === name)!;
        const pem = (scenario.chain as { pem: string }).pem;
        const args = ["verify", "--config", served, "--context", scenario.context, file(`json-${name.replace(/\W+/g, "-")}.pem`, pem)];
        if (scenario.userHeader !== undefined) args.splice(1, 0, "--user", scenario.userHeader);
        const printed = JSON.parse((await certgate(args)).stdout) as Record<string, unknown>;
        const request = { pem, context: scenario.context, method: "GET", ...(scenario.userHeader === undefined ? {} : { userHeader: scenario.userHeader }) };
        const viaGrpc = JSON.parse(
          execFileSync(
            BUF,
            ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "--emit-defaults", "-d", JSON.stringify(request), `http://${server.address}/${VALIDATE}`],
            {
              encoding: "utf8",
            },
          ),
        ) as Record<string, unknown>;
        assert.deepEqual(printed, viaGrpc, name);
        assert.deepEqual(Object.keys(printed), [
          "allowed",
          "reason",
          "message",
          "httpStatus",
          "exempt",
          "principal",
          "certIndex",
          "matchedRule",
          "requiredScopes",
          "trace",
          "hint",
          "warnings",
        ]);
      }
    } finally {
      server.child.kill("SIGKILL");
    }
  });

  it("says why an allowed client names no user", async () => {
    const leaf = file("no-principal.pem", (scenarios[0]!.chain as { pem: string }).pem);
    const { code, stderr } = await certgate(["verify", "--ca", root, "--at", AT.toISOString(), leaf]);
    assert.equal(code, 0);
    assert.match(stderr, /^certgate verify: note: allowed with no principal mapped: the intermediate-CN check is off \(as it is with --ca and no --config\)/m);
  });

  it("checks an openssl-style leaf + --untrusted chain with intermediate-CN checks off, and honours --purpose", async () => {
    const leaf = await pki.client("any-name", { extendedKeyUsage: ["1.3.6.1.5.5.7.3.1"] }, pki.rogue);
    const args = ["verify", "--ca", root, "--untrusted", file("rogue.der", pki.rogue.der), "--at", AT.toISOString(), file("server-leaf.der", leaf.der)];
    const asClient = await certgate(args);
    assert.equal(JSON.parse(asClient.stdout).reason, "EXTENDED_KEY_USAGE_INVALID");
    const asServer = await certgate([...args.slice(0, 1), "--purpose", "server", ...args.slice(1)]);
    assert.equal(asServer.code, 0, asServer.stdout);
    assert.equal(JSON.parse(asServer.stdout).principal.issuer, "CN=rogue-intermediate,O=certgate");
  });

  it("checks revocation with --crl and --revocation", async () => {
    const { issueCrl } = await import("../../src/devpki/revocation.ts");
    const leaf = await pki.client("listed");
    const crl = file(
      "intermediate.crl",
      await issueCrl(pki.intermediate, {
        thisUpdate: new Date("2026-05-31T00:00:00Z"),
        nextUpdate: new Date("2026-06-07T00:00:00Z"),
        entries: [{ serialNumber: leaf.cert.serialNumber }],
      }),
    );
    const chain = file("listed.pem", leaf.pem + pki.intermediate.pem);
    const revoked = await certgate(["verify", "--ca", root, "--crl", crl, "--at", AT.toISOString(), chain]);
    assert.equal(JSON.parse(revoked.stdout).reason, "REVOKED");
    const other = file("other.pem", (scenarios[0]!.chain as { pem: string }).pem);
    const unknown = await certgate(["verify", "--ca", root, "--crl", crl, "--revocation", "require", "--at", AT.toISOString(), other]);
    assert.equal(JSON.parse(unknown.stdout).reason, "REVOCATION_UNKNOWN");
    const bad = await certgate(["verify", "--ca", root, "--crl", root, other]);
    assert.equal(bad.code, 2);
  });

  it("--explain prints the path, every check and a hint, in text, with the same exit code", async () => {
    const scenario = scenarios.find((s) => s.name === "rogue intermediate")!;
    const leaf = file("rogue-explain.pem", (scenario.chain as { pem: string }).pem);
    const { code, stdout } = await certgate(["verify", "--config", config, "--at", AT.toISOString(), "--context", scenario.context, "--explain", leaf]);
    assert.equal(code, 1);
    assert.match(stdout, /^DENIED: INTERMEDIATE_CN_NOT_ALLOWED \(HTTP 401\), certificate 1\n/);
    assert.match(stdout, /Path \(leaf first\):\n {2}\[0\] CN=mallory,O=certgate\n/);
    assert.match(stdout, /\[2\] CN=certgate-test-root,O=certgate {2}\(trust anchor\)/);
    assert.match(stdout, /key EC P-256/);
    assert.match(stdout, /FAIL policy {5}#1 {2}intermediate CN allow-list/);
    assert.match(stdout, /Hint: issuing CA "CN=rogue-intermediate,O=certgate" is not in intermediate_cert_validation\.cert_cns \(certgate-dev-intermediate\)/);
    const allowed = await certgate([
      "verify",
      "--config",
      config,
      "--at",
      AT.toISOString(),
      "--explain",
      file("ok-explain.pem", (scenarios[0]!.chain as { pem: string }).pem),
    ]);
    assert.equal(allowed.code, 0);
    assert.match(allowed.stdout, /^ALLOWED: OK \(HTTP 200\)/);
    assert.doesNotMatch(allowed.stdout, /FAIL|Hint/);
  });

  it("respects --max-chain-length", async () => {
    const leaf = file("leaf-chain.pem", (scenarios[0]!.chain as { pem: string }).pem);
    const { code, stdout } = await certgate(["verify", "--ca", root, "--max-chain-length", "2", "--at", AT.toISOString(), leaf]);
    assert.equal(code, 1);
    assert.equal(JSON.parse(stdout).reason, "CHAIN_TOO_LONG");
  });

  const TRUST_ANCHOR = fileURLToPath(new URL("../fixtures/pkits/certs/TrustAnchorRootCertificate.crt", import.meta.url));
  const usage: [string, string[]][] = [
    ["no LEAF_FILE", ["verify", "--ca", "x.pem"]],
    // Files that cannot be read are said without the usage text: test/cli/file-errors.test.ts.
    ["a bad --at", ["verify", "--ca", TRUST_ANCHOR, "--at", "yesterday", "x"]],
    ["a bad --purpose", ["verify", "--ca", TRUST_ANCHOR, "--purpose", "email", "x"]],
    ["an unknown flag", ["verify", "--frobnicate", "x"]],
    ["an unknown command", ["frobnicate"]],
  ];
  for (const args of [["--help"], ["-h"], ["verify", "--help"], ["serve", "--help"], ["certs", "--help"]]) {
    it(`${args.join(" ")} prints usage on stdout and exits 0`, async () => {
      const { code, stdout, stderr } = await certgate(args);
      assert.equal(code, 0, stderr);
      assert.match(stdout, args.length === 1 ? /^usage: certgate <command>/ : new RegExp(`^usage: certgate ${args[0]}`));
      assert.equal(stderr, "");
    });
  }

  it("--version prints the version", async () => {
    const { code, stdout } = await certgate(["--version"]);
    assert.equal(code, 0);
    assert.match(stdout, /^certgate \d+\.\d+\.\d+\n$/);
  });

  for (const [name, args] of usage) {
    it(`exits 2 with usage for ${name}`, async () => {
      const { code, stderr, stdout } = await certgate(args);
      assert.equal(code, 2, stdout + stderr);
      assert.match(stderr, /usage: certgate/);
    });
  }
});
