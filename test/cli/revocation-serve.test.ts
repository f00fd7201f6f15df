// Revocation at scale on a real server: a 100,000-entry CRL from `openssl ca` in
// crl_dirs revokes its listed client and allows another; replacing the file with a
// broken one keeps revoking, and says so; a fetched 5,000-entry CRL revokes (it used
// to be refused by the parser and the client allowed); a fetched CRL that does not
// parse is allowed under soft_fail and the answer says so, once per source in the log.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { startService, type Service } from "../../src/process/service.ts";
import type { Issued } from "../../src/devpki/ca.ts";
import { opensslLargeCrl } from "../helpers/foreign/openssl.ts";
import { newPki, type TestPki } from "../helpers/pki.ts";
import { startRevocationServer, type RevocationServer } from "../helpers/revocation-server.ts";
import { clientFor, unary } from "../helpers/server.ts";
import { logSink } from "../helpers/log-sink.ts";

const DAY = 86_400_000;

interface Answer {
  reason: string;
  message: string;
  trace: { stage: string; check: string; ok: boolean; detail: string }[];
}

describe("revocation at scale on a real server", () => {
  const dir = mkdtempSync(join(tmpdir(), "certgate-crl-serve-"));
  let pki: TestPki;
  const now = () => ({ notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 30 * DAY) });
  before(async () => {
    pki = await newPki();
    writeFileSync(join(dir, "root.pem"), pki.root.pem);
  });

  describe("a 100,000-entry CRL in crl_dirs", () => {
    const lines: Record<string, unknown>[] = [];
    let service: Service;
    let client: ReturnType<typeof clientFor>;
    let listed: Issued;
    let other: Issued;
    before(async () => {
      listed = await pki.client("listed", now());
      other = await pki.client("other", now());
      const crl = await opensslLargeCrl(dir, pki.intermediate.issued, "intermediate", 100_000, [listed.cert.serialNumber.toUpperCase()]);
      mkdirSync(join(dir, "crls"));
      copyFileSync(crl, join(dir, "crls", "intermediate.crl"));
      writeFileSync(
        join(dir, "crl-dirs.toml"),
        `[server]\nlisten = "127.0.0.1:0"\n[metrics]\nlisten = "127.0.0.1:0"\n[truststore]\nca_files = ["root.pem"]\n` +
          `[intermediate_cert_validation]\ncert_cns = ["certgate-dev-intermediate"]\n[revocation]\nmode = "soft_fail"\ncrl_dirs = ["crls"]\n[log]\naudit = false\n`,
      );
      service = await startService(join(dir, "crl-dirs.toml"), pino(logSink(lines)));
      client = clientFor("certgate.v1.CertificateValidator", service.server.address);
    });
    after(async () => {
      client.close();
      await service.stop();
    });
    const ask = (leaf: Issued) => unary<Answer>(client, "Validate", { pem: leaf.pem + pki.intermediate.pem, context: "/api", method: "GET" });

    it("revokes the listed client and allows another", async () => {
      assert.equal((await ask(listed)).reason, "REVOKED");
      assert.equal((await ask(other)).reason, "OK");
      const metrics = await (await fetch(`http://${service.metricsServer!.address}/metrics`)).text();
      assert.match(metrics, /certgate_crl_entries\{issuer="CN=certgate-dev-intermediate,O=certgate"\} 100001\n/);
      assert.match(metrics, /certgate_crl_bytes\{issuer="CN=certgate-dev-intermediate,O=certgate",part="index"\} 2097152\n/);
    });

    it("keeps revoking when the file is replaced with a broken one, and says so", async () => {
      writeFileSync(join(dir, "crls", "intermediate.crl"), "-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n");
      assert.equal(await service.reload("test"), true);
      assert.equal((await ask(listed)).reason, "REVOKED");
      assert.equal((await ask(other)).reason, "OK");
      const logged = lines.find((line) => String(line.msg).startsWith("CRL file") && String(line.msg).includes("previous CRLs stay in use"));
      assert.ok(logged, JSON.stringify(lines.slice(-5)));
      assert.equal(logged.why, "unparseable");
      const metrics = await (await fetch(`http://${service.metricsServer!.address}/metrics`)).text();
      assert.match(metrics, /certgate_revocation_unavailable_total\{source_kind="crl",why="unparseable"\} 1\n/);
    });
  });

  describe("fetched CRLs", () => {
    const lines: Record<string, unknown>[] = [];
    let server: RevocationServer;
    let service: Service;
    let client: ReturnType<typeof clientFor>;
    before(async () => {
      server = await startRevocationServer();
      writeFileSync(
        join(dir, "fetch.toml"),
        `[server]\nlisten = "127.0.0.1:0"\n[metrics]\nlisten = "127.0.0.1:0"\n[truststore]\nca_files = ["root.pem"]\n` +
          `[intermediate_cert_validation]\ncert_cns = ["certgate-dev-intermediate"]\n[revocation]\nmode = "soft_fail"\nfetch = true\nfailure_backoff_seconds = 60\n[log]\naudit = false\n`,
      );
      service = await startService(join(dir, "fetch.toml"), pino(logSink(lines)));
      client = clientFor("certgate.v1.CertificateValidator", service.server.address);
    });
    after(async () => {
      client.close();
      await service.stop();
      await server.close();
    });
    const ask = (leaf: Issued, explain = false) =>
      unary<Answer>(client, "Validate", { pem: leaf.pem + pki.intermediate.pem, context: "/api", method: "GET", explain });

    it("a client listed on its CA's fetched 5,000-entry CRL is revoked (it was allowed when the CRL could not be parsed)", async () => {
      const listed = await pki.client("fetched-listed", { ...now(), crlUrls: [`${server.url}/big.crl`] });
      const crl = await opensslLargeCrl(dir, pki.intermediate.issued, "fetched", 5_000, [listed.cert.serialNumber.toUpperCase()]);
      server.crls.set("/big.crl", new Uint8Array((await import("node:fs")).readFileSync(crl)));
      assert.equal((await ask(listed)).reason, "REVOKED");
    });

    it("a fetched CRL that does not parse: allowed under soft_fail, the answer and the log say so, once per source", async () => {
      server.crls.set("/broken.crl", new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]));
      // Another CA of the allowed name: the CRL fetched above covers every certificate of the first one.
      const second = await pki.root.intermediate({ subject: "CN=certgate-dev-intermediate, O=second", ...now(), pathLength: 0 });
      const leaf = await pki.client("fetched-broken", { ...now(), crlUrls: [`${server.url}/broken.crl`] }, second);
      const ask = (explain = false) => unary<Answer>(client, "Validate", { pem: leaf.pem + second.pem, context: "/api", method: "GET", explain });
      const answer = await ask(true);
      assert.equal(answer.reason, "OK");
      const revocation = answer.trace.find((step) => step.check === "revocation (mode soft_fail)");
      assert.match(revocation?.detail ?? "", /without a usable status \(allowed under soft_fail\): #0 .*broken\.crl.* \(unparseable\)/);
      for (let i = 0; i < 3; i++) assert.equal((await ask()).reason, "OK");
      const logged = lines.filter((line) => String(line.msg).startsWith("revocation status of") && String(line.source).endsWith("/broken.crl"));
      assert.equal(logged.length, 1, JSON.stringify(logged));
      const metrics = await (await fetch(`http://${service.metricsServer!.address}/metrics`)).text();
      assert.match(metrics, /certgate_revocation_unavailable_total\{source_kind="crl",why="unparseable"\} 1\n/);
    });
  });
});
