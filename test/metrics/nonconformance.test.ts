// A chain made with Python's cryptography (no key identifiers) on a real server with
// the default profile: allowed, its warnings on the wire, each nonconforming
// certificate counted once in certgate_nonconforming_certificates_total and logged
// once with the CA to fix and the fix, however often it is validated.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { startService, type Service } from "../../src/process/service.ts";
import { runPython } from "../helpers/foreign/python.ts";
import { clientFor, unary } from "../helpers/server.ts";
import { logSink } from "../helpers/log-sink.ts";

interface Answer {
  reason: string;
  warnings: { rule: string; section: string; cert_index: number; subject: string; detail: string }[];
}

describe("nonconforming certificates on a real server (truststore.profile = rfc5280)", () => {
  const lines: Record<string, unknown>[] = [];
  let service: Service;
  let client: ReturnType<typeof clientFor>;
  let chain: string;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), "certgate-nonconforming-"));
    runPython("cryptography_ca.py", [dir, "carol"]);
    chain = readFileSync(join(dir, "leaf.pem"), "utf8") + readFileSync(join(dir, "intermediate.pem"), "utf8");
    writeFileSync(
      join(dir, "deployment.toml"),
      `[server]\nlisten = "127.0.0.1:0"\n[metrics]\nlisten = "127.0.0.1:0"\n[truststore]\nca_files = ["root.pem"]\n` +
        `[intermediate_cert_validation]\ncert_cns = ["python-intermediate"]\n[log]\naudit = false\n`,
    );
    const sink = logSink(lines);
    service = await startService(join(dir, "deployment.toml"), pino(sink));
    client = clientFor("certgate.v1.CertificateValidator", service.server.address);
  });
  after(async () => {
    client.close();
    await service.stop();
  });

  it("allows the chain with its warnings, counts and logs each certificate once across repeated calls", async () => {
    for (let i = 0; i < 3; i++) {
      const answer = await unary<Answer>(client, "Validate", { pem: chain, context: "/api", method: "GET" });
      assert.equal(answer.reason, "OK");
      assert.deepEqual(answer.warnings.map((w) => `${w.rule}@${w.cert_index}`).sort(), [
        "authority-key-identifier-missing@0",
        "authority-key-identifier-missing@1",
        "subject-key-identifier-missing@-1",
        "subject-key-identifier-missing@1",
      ]);
      const root = answer.warnings.find((w) => w.cert_index === -1)!;
      assert.equal(root.section, "4.2.1.2");
      assert.equal(root.subject, "O=python-ca,CN=python-root");
    }
    const text = await (await fetch(`http://${service.metricsServer!.address}/metrics`)).text();
    // Two distinct certificates break each rule: the leaf and the intermediate, the intermediate and the root.
    assert.match(text, /certgate_nonconforming_certificates_total\{rule="authority-key-identifier-missing"\} 2\n/);
    assert.match(text, /certgate_nonconforming_certificates_total\{rule="subject-key-identifier-missing"\} 2\n/);
    const logged = lines.filter((line) => String(line.msg).includes("breaks RFC 5280"));
    assert.equal(logged.length, 3, JSON.stringify(logged));
    const intermediate = logged.find((line) => line.subject === "O=python-ca,CN=python-intermediate")!;
    assert.equal(intermediate.level, 40);
    assert.equal(intermediate.issuer, "O=python-ca,CN=python-root");
    assert.deepEqual(intermediate.rules, ["authority-key-identifier-missing", "subject-key-identifier-missing"]);
    assert.match(String(intermediate.msg), /the CA should: add authorityKeyIdentifier/);
  });

  it("noted the nonconforming trust anchor when it loaded the trust store", () => {
    assert.ok(lines.some((line) => String(line.msg).includes('trust anchor "O=python-ca,CN=python-root" does not conform')));
  });
});
