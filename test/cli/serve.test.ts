// The README flow end to end: `certgate certs`, then `certgate serve --config`, a
// real client against the dev PKI, and a graceful stop.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCertgate as run, serveCertgate as serve, type ServingProcess } from "../helpers/cli-process.ts";
import { clientFor, unary } from "../helpers/server.ts";

describe("certgate certs + serve", () => {
  const dir = mkdtempSync(join(tmpdir(), "certgate-serve-"));
  const pkiDir = join(dir, "dev");
  let server: ServingProcess;

  before(async () => {
    const certs = await run(["certs", "--out", pkiDir]);
    assert.equal(certs.code, 0, certs.stderr);
    // The CRLs in a directory of their own: crl_dirs takes every file in it.
    mkdirSync(join(dir, "dev-crls"));
    for (const name of readdirSync(pkiDir).filter((n) => n.endsWith(".crl"))) copyFileSync(join(pkiDir, name), join(dir, "dev-crls", name));
    writeFileSync(
      join(dir, "deployment.toml"),
      `[server]\nlisten = "127.0.0.1:0"\n[truststore]\nca_files = ["dev/root-ca.pem"]\n[revocation]\nmode = "require"\ncrl_dirs = ["dev-crls"]\n` +
        `[intermediate_cert_validation]\nenable = true\ncert_cns = ["certgate-dev-intermediate"]\nexempt_contexts = ["/scim2", "dcr"]\n[metrics]\nlisten = "127.0.0.1:0"\n[log]\nlevel = "debug"\n` +
        // WSO2 IS 7.2: in the exempt contexts, the rogue intermediate's clients are mapped (as in the built-in default).
        `[client_certificate_based_authentication]\nenable = true\n` +
        `[[client_certificate_based_authentication.system_thumbprint_mapping]]\ntrusted_issuer = "CN=rogue-intermediate,O=certgate"\ncert_thumbprint = "*"\nallowed_system_user = "*"\n`,
    );
    server = await serve(join(dir, "deployment.toml"));
  });
  after(() => {
    if (server?.child.exitCode === null) server.child.kill("SIGKILL");
  });

  it("writes the dev PKI with private keys readable by the owner only, and leaves it alone on a second run", async () => {
    const keys = readdirSync(pkiDir).filter((name) => name.endsWith(".key"));
    assert.ok(keys.length >= 14, keys.join(", "));
    for (const key of keys) assert.equal(statSync(join(pkiDir, key)).mode & 0o777, 0o600, key);
    const before = readFileSync(join(pkiDir, "root-ca.pem"), "utf8");
    const again = await run(["certs", "--out", pkiDir]);
    assert.match(again.stdout, /already present/);
    assert.equal(readFileSync(join(pkiDir, "root-ca.pem"), "utf8"), before);
  });

  const expectations: [file: string, reason: string, context: string][] = [
    ["client-john.pem", "OK", "/api/users"],
    ["client-secondary-john.pem", "OK", "/api/users"],
    ["client-john-tenant.pem", "OK", "/api/users"],
    ["client-secondary-john-tenant.pem", "OK", "/api/users"],
    ["client-rogue.pem", "INTERMEDIATE_CN_NOT_ALLOWED", "/api/users"],
    ["client-rogue.pem", "OK", "/scim2/Users"],
    ["client-expired.pem", "CERTIFICATE_EXPIRED", "/"],
    ["client-not-yet-valid.pem", "CERTIFICATE_NOT_YET_VALID", "/"],
    ["client-server-auth-only.pem", "EXTENDED_KEY_USAGE_INVALID", "/"],
    ["client-self-signed.pem", "SELF_SIGNED_CERTIFICATE", "/"],
    ["client-untrusted-root.pem", "PATH_NOT_FOUND", "/"],
    ["client-revoked.pem", "REVOKED", "/"],
  ];
  for (const [file, reason, context] of expectations) {
    it(`answers ${file} on ${context} with ${reason}`, async () => {
      const client = clientFor("certgate.v1.CertificateValidator", server.address);
      const response = await unary<{ reason: string; allowed: boolean }>(client, "Validate", {
        pem: readFileSync(join(pkiDir, file), "utf8"),
        context,
        method: "GET",
      });
      client.close();
      assert.equal(response.reason, reason);
      assert.equal(response.allowed, reason === "OK");
    });
  }

  it("logs one line per decision, without certificate bodies", async () => {
    // The child's stdout arrives asynchronously: wait for the lines, within a bound.
    const count = () => server.lines.filter((line) => line.includes('"msg":"decision"')).length;
    const deadline = Date.now() + 5000;
    while (count() < expectations.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const decisions = server.lines.filter((line) => line.includes('"msg":"decision"'));
    assert.ok(decisions.length >= expectations.length, `${decisions.length} decision lines`);
    assert.ok(server.lines.every((line) => !line.includes("BEGIN CERTIFICATE") && !line.includes("PRIVATE KEY")));
    assert.ok(
      server.lines.some((line) => line.includes('exempt context \\"dcr\\" matches that path segment anywhere')),
      "warning for the bare entry",
    );
  });

  it("reloads on SIGHUP, and keeps serving the old configuration when the new one is broken", async () => {
    const client = clientFor("certgate.v1.CertificateValidator", server.address);
    const rogue = () =>
      unary<{ reason: string }>(client, "Validate", { pem: readFileSync(join(pkiDir, "client-rogue.pem"), "utf8"), context: "/api/users", method: "GET" });
    const config = join(dir, "deployment.toml");
    writeFileSync(config, readFileSync(config, "utf8").replace('cert_cns = ["certgate-dev-intermediate"]', 'cert_cns = ["rogue-intermediate"]'));
    server.child.kill("SIGHUP");
    const deadline = Date.now() + 5000;
    while ((await rogue()).reason !== "OK" && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal((await rogue()).reason, "OK");
    writeFileSync(config, "[truststore\n");
    server.child.kill("SIGHUP");
    const refusedDeadline = Date.now() + 5000;
    while (!server.lines.some((line) => line.includes("reload refused")) && Date.now() < refusedDeadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(server.lines.some((line) => line.includes("reload refused")));
    assert.equal((await rogue()).reason, "OK");
    client.close();
  });

  it("drains and exits 0 on SIGTERM", async () => {
    const exited = new Promise<number | null>((resolve) => server.child.on("exit", resolve));
    server.child.kill("SIGTERM");
    assert.equal(await exited, 0);
  });

  it("refuses to start on a broken config, naming every bad key, with exit code 2", async () => {
    writeFileSync(
      join(dir, "broken.toml"),
      `[server]\nlisten = "nowhere"\n[truststore]\nca_files = ["dev/missing.pem"]\n[intermediate_cert_validation]\ncert_cns = ["x"]\nbogus = 1\n`,
    );
    const { code, stdout } = await run(["serve", "--config", join(dir, "broken.toml")]);
    assert.equal(code, 2);
    assert.match(stdout, /server\.listen: must be/);
    assert.match(stdout, /intermediate_cert_validation\.bogus: unknown key/);
  });

  it("refuses to start when a trust file is missing", async () => {
    writeFileSync(
      join(dir, "missing.toml"),
      `[server]\nlisten = "127.0.0.1:0"\n[truststore]\nca_files = ["dev/missing.pem"]\n[intermediate_cert_validation]\ncert_cns = ["x"]\n`,
    );
    const { code, stdout } = await run(["serve", "--config", join(dir, "missing.toml")]);
    assert.equal(code, 2);
    assert.match(stdout, /truststore\.ca_files\[0\] .*missing\.pem\): file not found/);
  });
});
