// Client certificate expiry on a real server: the histogram observes each distinct
// allowed leaf once, and a leaf close to its notAfter is logged once.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { startService, type Service } from "../../src/process/service.ts";
import { newPki } from "../helpers/pki.ts";
import { clientFor, unary } from "../helpers/server.ts";
import { logSink } from "../helpers/log-sink.ts";

const DAY = 86_400_000;

describe("certgate_client_certificate_expiry_seconds and the expiry warning", () => {
  const lines: Record<string, unknown>[] = [];
  let service: Service;
  let client: ReturnType<typeof clientFor>;
  let soon: string;
  let later: string;
  let soonFingerprint: string;

  before(async () => {
    const pki = await newPki();
    const now = Date.now();
    const leafSoon = await pki.client("soon", { notBefore: new Date(now - DAY), notAfter: new Date(now + 5 * DAY) });
    const leafLater = await pki.client("later", { notBefore: new Date(now - DAY), notAfter: new Date(now + 300 * DAY) });
    soon = leafSoon.pem + pki.intermediate.pem;
    later = leafLater.pem + pki.intermediate.pem;
    soonFingerprint = Buffer.from(await crypto.subtle.digest("SHA-256", leafSoon.der)).toString("hex");
    const dir = mkdtempSync(join(tmpdir(), "certgate-expiry-"));
    writeFileSync(join(dir, "root.pem"), pki.root.pem);
    writeFileSync(
      join(dir, "deployment.toml"),
      `[server]\nlisten = "127.0.0.1:0"\n[metrics]\nlisten = "127.0.0.1:0"\n[truststore]\nca_files = ["root.pem"]\n` +
        `[intermediate_cert_validation]\ncert_cns = ["certgate-dev-intermediate"]\n[log]\naudit = false\nexpiry_warning_days = 14\n`,
    );
    const sink = logSink(lines);
    service = await startService(join(dir, "deployment.toml"), pino(sink));
    client = clientFor("certgate.v1.CertificateValidator", service.server.address);
  });
  after(async () => {
    client.close();
    await service.stop();
  });

  it("observes two distinct leaves once each, however often they come, and warns once about the one near expiry", async () => {
    for (const pem of [soon, later, soon, soon]) {
      const answer = await unary<{ reason: string }>(client, "Validate", { pem, context: "/api", method: "GET" });
      assert.equal(answer.reason, "OK");
    }
    const text = await (await fetch(`http://${service.metricsServer!.address}/metrics`)).text();
    assert.match(text, /certgate_client_certificate_expiry_seconds_count 2\n/);
    assert.match(text, /certgate_client_certificate_expiry_seconds_bucket\{le="86400"\} 0\n/);
    assert.match(text, /certgate_client_certificate_expiry_seconds_bucket\{le="604800"\} 1\n/);
    assert.match(text, /certgate_client_certificate_expiry_seconds_bucket\{le="31536000"\} 2\n/);
    const warnings = lines.filter((line) => String(line.msg).startsWith("client certificate expires in"));
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.level, 40);
    assert.equal(warnings[0]!.fingerprint, soonFingerprint);
    assert.equal(warnings[0]!.subject, "CN=soon,O=certgate");
    assert.equal(warnings[0]!.principal, "soon");
    assert.match(String(warnings[0]!.notAfter), /^\d{4}-\d{2}-\d{2}T/);
  });
});
