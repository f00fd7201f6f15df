// Running certgate in production, in-process: mTLS for callers, hot reload under
// load, metrics, the audit log and the drain on shutdown.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import { startService, type Service } from "../../src/process/service.ts";
import { writeDevPki } from "../../src/devpki/dev-pki.ts";
import { DEFAULTS } from "../../src/defaults.ts";
import { startServer } from "../../src/grpc/server.ts";
import { createValidator } from "../../src/validator/validator.ts";
import { AT } from "../helpers/pki.ts";
import { buildScenarios, settingsFor } from "../helpers/scenarios.ts";
import { clientFor, descriptors, unary } from "../helpers/server.ts";
import { logSink } from "../helpers/log-sink.ts";

type Client = grpc.Client & Record<string, Function>;
const dir = mkdtempSync(join(tmpdir(), "certgate-ops-"));
const pkiDir = join(dir, "pki");
const configPath = join(dir, "deployment.toml");
const file = (name: string) => readFileSync(join(pkiDir, name));

function configText(certCns: string[]): string {
  return `[server]
listen = "127.0.0.1:0"
allowed_caller_sans = ["certgate-caller"]
drain_seconds = 5
[server.tls]
cert_file = "pki/server.pem"
key_file = "pki/server.key"
client_ca_files = ["pki/root-ca.pem"]
[health]
listen = "127.0.0.1:0"
[metrics]
listen = "127.0.0.1:0"
[truststore]
ca_files = ["pki/root-ca.pem"]
[intermediate_cert_validation]
cert_cns = ${JSON.stringify(certCns)}
[log]
audit = true
`;
}

function tlsClient(service: string, address: string, identity: string | undefined): Client {
  const creds =
    identity === undefined
      ? grpc.credentials.createSsl(file("root-ca.pem"))
      : grpc.credentials.createSsl(file("root-ca.pem"), file(`${identity}.key`), file(`${identity}.pem`));
  return clientFor(service, address, creds);
}

const validate = (client: Client, pemFile: string) =>
  unary<{ reason: string; allowed: boolean }>(client, "Validate", { pem: file(pemFile).toString(), context: "/api/users", method: "GET" });

describe("certgate in production", () => {
  const lines: Record<string, unknown>[] = [];
  let service: Service;
  let caller: Client;

  before(async () => {
    await writeDevPki(pkiDir, new Date());
    writeFileSync(configPath, configText(["certgate-dev-intermediate"]));
    const sink = logSink(lines);
    service = await startService(configPath, pino(sink));
    caller = tlsClient("certgate.v1.CertificateValidator", service.server.address, "caller");
  });
  after(async () => {
    caller.close();
    await service.stop();
  });

  it("answers a caller with a certificate from client_ca_files and an allowed SAN", async () => {
    assert.equal((await validate(caller, "client-john.pem")).reason, "OK");
  });

  const refused: [string, string | undefined, grpc.status][] = [
    ["no client certificate", undefined, grpc.status.UNAVAILABLE],
    ["a certificate from another CA", "client-untrusted-root", grpc.status.UNAVAILABLE],
    ["a trusted certificate whose SAN is not allowed", "client-john", grpc.status.PERMISSION_DENIED],
  ];
  for (const [name, identity, code] of refused) {
    it(`refuses a caller with ${name} (${grpc.status[code]})`, async () => {
      const client = tlsClient("certgate.v1.CertificateValidator", service.server.address, identity);
      await assert.rejects(validate(client, "client-john.pem"), (error: grpc.ServiceError) => error.code === code);
      client.close();
    });
  }

  it("keeps health open to any TLS-authenticated caller, and on the plaintext health port", async () => {
    const overTls = tlsClient("grpc.health.v1.Health", service.server.address, "client-john");
    assert.equal((await unary<{ status: string }>(overTls, "Check", { service: "" })).status, "SERVING");
    overTls.close();
    const plain = clientFor("grpc.health.v1.Health", service.server.healthAddress!);
    assert.equal((await unary<{ status: string }>(plain, "Check", { service: "certgate.v1.CertificateValidator" })).status, "SERVING");
    plain.close();
  });

  it("reloads under a steady stream of calls without losing one, and switches decisions", async () => {
    const results: string[] = [];
    const errors: unknown[] = [];
    let running = true;
    const stream = (async () => {
      while (running) {
        try {
          results.push((await validate(caller, "client-rogue.pem")).reason);
        } catch (error) {
          errors.push(error);
        }
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 150));
    writeFileSync(configPath, configText(["rogue-intermediate"]));
    assert.equal(await service.reload("test"), true);
    await new Promise((resolve) => setTimeout(resolve, 150));
    running = false;
    await stream;
    assert.deepEqual(errors, []);
    assert.equal(results[0], "INTERMEDIATE_CN_NOT_ALLOWED");
    assert.equal(results.at(-1), "OK");
    const switchedAt = results.indexOf("OK");
    assert.ok(
      results.slice(switchedAt).every((r) => r === "OK"),
      "no old decision after the swap",
    );
    assert.equal(service.config().intermediateCertValidation.certCns[0], "rogue-intermediate");
  });

  it("folds a burst of reload requests into one reload that reads the newest files", async () => {
    const reloaded = () => lines.filter((l) => l.msg === "configuration reloaded").length;
    const before = reloaded();
    writeFileSync(configPath, configText(["certgate-dev-intermediate"]));
    const burst = [service.reload("burst"), service.reload("burst"), service.reload("burst")];
    writeFileSync(configPath, configText(["rogue-intermediate"]));
    burst.push(service.reload("burst"));
    assert.deepEqual(await Promise.all(burst), [true, true, true, true]);
    assert.equal(reloaded() - before, 1);
    assert.equal(service.config().intermediateCertValidation.certCns[0], "rogue-intermediate");
  });

  it("keeps the old configuration when the new one is broken", async () => {
    writeFileSync(configPath, configText(["rogue-intermediate"]) + "[nonsense\n");
    assert.equal(await service.reload("test"), false);
    assert.equal((await validate(caller, "client-rogue.pem")).reason, "OK");
    assert.ok(lines.some((l) => l.msg === "reload refused; the previous configuration stays in use"));
  });

  it("reloads by itself when a watched file changes", async () => {
    writeFileSync(configPath, configText(["certgate-dev-intermediate"]));
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && service.config().intermediateCertValidation.certCns[0] !== "certgate-dev-intermediate") {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal((await validate(caller, "client-rogue.pem")).reason, "INTERMEDIATE_CN_NOT_ALLOWED");
  });

  it("serves the metrics on their own listener", async () => {
    const text = await (await fetch(`http://${service.metricsServer!.address}/metrics`)).text();
    for (const series of [
      /certgate_decisions_total\{adapter="grpc",rpc="Validate",reason="OK",allowed="true"\} \d+/,
      /certgate_decisions_total\{adapter="grpc",rpc="Validate",reason="INTERMEDIATE_CN_NOT_ALLOWED",allowed="false"\} \d+/,
      /certgate_decision_duration_seconds_bucket\{le="0.001",adapter="grpc",rpc="Validate"\} \d+/,
      /certgate_cache_lookups_total\{cache="decision",result="hit"\} [1-9]/,
      /certgate_cache_lookups_total\{cache="decision",result="miss"\} [1-9]/,
      /certgate_cache_lookups_total\{cache="certificate",result="miss"\} \d+/,
      /certgate_reloads_total\{result="ok"\} [1-9]/,
      /certgate_reloads_total\{result="failed"\} [1-9]/,
      /certgate_reload_generation [3-9]/,
      /certgate_certificate_expiry_seconds\{role="anchor",subject="CN=certgate-dev-root,O=certgate",fingerprint="[0-9a-f]{16}"\} \d+/,
      /certgate_process_resident_memory_bytes \d+/,
    ]) {
      assert.match(text, series);
    }
    assert.equal((await fetch(`http://${service.metricsServer!.address}/other`)).status, 404);
  });

  it("writes one audit line per decision with the caller, never a certificate body", () => {
    const audit = lines.filter((l) => l.msg === "decision");
    assert.ok(audit.length > 5);
    const line = audit.find((l) => l.reason === "OK")!;
    for (const key of ["time", "rpc", "reason", "principal", "fingerprint", "path", "method", "durationMs", "caller"]) assert.ok(key in line, key);
    assert.equal(line.caller, "certgate-caller");
    assert.equal(line.principal, "john");
    assert.ok(lines.every((l) => !JSON.stringify(l).includes("BEGIN")));
  });
});

describe("graceful shutdown and unix sockets", async () => {
  const { pki, scenarios } = await buildScenarios();

  it("lets calls in flight finish when shutdown starts", async () => {
    const real = createValidator(settingsFor(pki));
    const started: number[] = [];
    // Each decision takes 30 ms of CPU, so later calls are still queued when shutdown begins.
    const slow = {
      revocationStore: real.revocationStore,
      validate: (request: Parameters<typeof real.validate>[0], at: Date) => {
        started.push(Date.now());
        const until = Date.now() + 30;
        while (Date.now() < until);
        return real.validate(request, at);
      },
    };
    let shutdown: Promise<void> | undefined;
    const server = await startServer(
      { listen: "127.0.0.1:0", maxRequestBytes: 65536, extAuthz: () => DEFAULTS.extAuthz, descriptors },
      {
        validator: () => slow,
        now: () => AT,
        // Shutdown starts with the first decision: four more calls are in flight on the connection.
        onDecision: () => {
          shutdown ??= (server.setNotServing(), server.shutdown(5000));
        },
        onError: () => undefined,
      },
    );
    const pem = (scenarios[0]!.chain as { pem: string }).pem;
    const client = clientFor("certgate.v1.CertificateValidator", server.address);
    await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 2000, (e?: Error) => (e ? reject(e) : resolve())));
    const calls = Array.from({ length: 5 }, () => unary<{ reason: string }>(client, "Validate", { pem, context: "/api", method: "GET" }));
    const answers = await Promise.all(calls);
    assert.deepEqual(
      answers.map((a) => a.reason),
      ["OK", "OK", "OK", "OK", "OK"],
    );
    assert.equal(started.length, 5);
    const drainStarted = Date.now();
    await shutdown;
    // Finished by the drain itself, not by the 5 s forced stop.
    assert.ok(Date.now() - drainStarted < 2000);
    client.close();
  });

  it("creates a unix socket with mode 0660 and answers on it", async () => {
    const socket = join(mkdtempSync(join(tmpdir(), "certgate-sock-")), "certgate.sock");
    const validator = createValidator(settingsFor(pki));
    const server = await startServer(
      { listen: `unix:${socket}`, maxRequestBytes: 65536, extAuthz: () => DEFAULTS.extAuthz, descriptors },
      { validator: () => validator, now: () => AT, onDecision: () => undefined, onError: () => undefined },
    );
    assert.equal(statSync(socket).mode & 0o777, 0o660);
    const client = clientFor("certgate.v1.CertificateValidator", `unix:${socket}`);
    const answer = await unary<{ reason: string }>(client, "Validate", { pem: (scenarios[0]!.chain as { pem: string }).pem, context: "/", method: "GET" });
    assert.equal(answer.reason, "OK");
    client.close();
    await server.shutdown(1000);
  });
});
