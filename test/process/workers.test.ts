// `certgate serve` with server.workers = 2, as real processes: a node:cluster primary and
// two workers sharing the listeners. Calls over many connections all answered and
// counted once; a reload reaching every worker (and a bad one reaching none); a killed
// worker restarted; SIGTERM draining calls in flight; start-up problems said once.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { writeDevPki } from "../../src/devpki/dev-pki.ts";
import { runCertgate } from "../helpers/cli-process.ts";
import { unary } from "../helpers/server.ts";
import { eventually, metric, ownConnection, startServing, type Serving } from "../helpers/serving.ts";

const VALIDATOR = "certgate.v1.CertificateValidator";
const dir = mkdtempSync(join(tmpdir(), "certgate-workers-"));
const configPath = join(dir, "deployment.toml");
const pem = (name: string) => readFileSync(join(dir, "pki", `${name}.pem`), "utf8");

function configText(options: { certCns?: string[]; listen?: string; extra?: string } = {}): string {
  return `[server]
listen = "${options.listen ?? "127.0.0.1:0"}"
workers = 2
drain_seconds = 10
[metrics]
listen = "127.0.0.1:0"
[truststore]
ca_files = ["pki/root-ca.pem"]
intermediate_files = ["pki/intermediate-ca.pem", "pki/rogue-intermediate-ca.pem"]
[intermediate_cert_validation]
cert_cns = ${JSON.stringify(options.certCns ?? ["certgate-dev-intermediate"])}
[log]
audit = false
${options.extra ?? ""}`;
}

type Client = ReturnType<typeof ownConnection>;
const validate = (client: Client, client_pem: string) =>
  unary<{ reason: string }>(client, "Validate", { pem: client_pem, context: "/api/users", method: "GET" }, 5000).then((answer) => answer.reason);

before(async () => {
  await writeDevPki(join(dir, "pki"), new Date());
});

describe("serve with two workers", () => {
  let serving: Serving;
  before(async () => {
    writeFileSync(configPath, configText());
    serving = await startServing(configPath);
  });
  after(async () => {
    if (serving.child.exitCode === null) await serving.stop();
  });

  it("answers every call over many connections, counts each once, and both workers take calls", async () => {
    const clients = Array.from({ length: 16 }, () => ownConnection(VALIDATOR, serving.address));
    try {
      const reasons = await Promise.all(clients.flatMap((client) => Array.from({ length: 25 }, () => validate(client, pem("client-john")))));
      assert.equal(reasons.length, 400);
      assert.ok(reasons.every((reason) => reason === "OK"));
    } finally {
      for (const client of clients) client.close();
    }
    assert.equal(await metric(serving.metrics!, "certgate_decisions_total", 'rpc="Validate"'), 400);
    const perWorker = await Promise.all(["1", "2"].map((id) => metric(serving.metrics!, "certgate_worker_calls_total", `worker="${id}"`)));
    assert.equal(perWorker[0]! + perWorker[1]!, 400);
    assert.ok(
      perWorker.every((calls) => calls > 0),
      `calls per worker: ${perWorker}`,
    );
    assert.equal(await metric(serving.metrics!, "certgate_workers"), 2);
  });

  it("applies a reload on every worker, and a broken one on none", async () => {
    const clients = Array.from({ length: 8 }, () => ownConnection(VALIDATOR, serving.address));
    try {
      for (const client of clients) assert.equal(await validate(client, pem("client-rogue")), "INTERMEDIATE_CN_NOT_ALLOWED");
      writeFileSync(configPath, configText({ certCns: ["certgate-dev-intermediate", "rogue-intermediate"] }));
      await eventually(() => serving.lines.some((line) => line.msg === "configuration reloaded on every worker"), 10_000);
      for (const client of clients) assert.equal(await validate(client, pem("client-rogue")), "OK");
      const before = serving.lines.length;
      writeFileSync(configPath, configText({ certCns: ["certgate-dev-intermediate", "rogue-intermediate"] }) + "[server\n");
      await eventually(() => serving.lines.slice(before).some((line) => String(line.msg).startsWith("reload refused")), 10_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const refusals = serving.lines.slice(before).filter((line) => String(line.msg).startsWith("reload refused"));
      assert.equal(refusals.length, 1, "said once, by the primary");
      for (const client of clients) assert.equal(await validate(client, pem("client-rogue")), "OK", "the previous configuration stays on every worker");
      assert.equal(await metric(serving.metrics!, "certgate_reloads_total", 'result="failed"'), 1);
    } finally {
      for (const client of clients) client.close();
      const reloaded = serving.lines.filter((line) => line.msg === "configuration reloaded on every worker").length;
      writeFileSync(configPath, configText());
      await eventually(() => serving.lines.filter((line) => line.msg === "configuration reloaded on every worker").length > reloaded, 10_000);
    }
  });

  it("restarts a worker killed under load; new connections are answered", async () => {
    const load = ownConnection(VALIDATOR, serving.address);
    let running = true;
    const loop = (async () => {
      while (running) await validate(load, pem("client-john")).catch(() => undefined);
    })();
    try {
      const [victim] = serving.workerPids();
      const listeningBefore = serving.lines.filter((line) => String(line.msg).includes("listening again")).length;
      process.kill(victim!, "SIGKILL");
      await eventually(() => serving.lines.filter((line) => String(line.msg).includes("listening again")).length > listeningBefore, 15_000);
      assert.ok(serving.lines.some((line) => String(line.msg).includes("exited (SIGKILL); restarting it in")));
      const fresh = Array.from({ length: 8 }, () => ownConnection(VALIDATOR, serving.address));
      try {
        for (const client of fresh) assert.equal(await validate(client, pem("client-john")), "OK");
      } finally {
        for (const client of fresh) client.close();
      }
      assert.equal(await metric(serving.metrics!, "certgate_worker_restarts_total"), 1);
      assert.equal(await metric(serving.metrics!, "certgate_workers"), 2);
    } finally {
      running = false;
      await loop;
      load.close();
    }
  });

  it("drains on SIGTERM: calls under way when it arrives are answered, and every process exits 0", async () => {
    const clients = Array.from({ length: 8 }, () => ownConnection(VALIDATOR, serving.address));
    let stopAt = Number.POSITIVE_INFINITY;
    const failed: number[] = [];
    let answered = 0;
    const loops = clients.map(async (client) => {
      while (Date.now() < stopAt + 2000) {
        const started = Date.now();
        try {
          await validate(client, pem("client-john"));
          answered++;
        } catch {
          if (started < stopAt) failed.push(started);
          if (Date.now() > stopAt) return;
        }
      }
    });
    await eventually(() => answered > 200);
    const pids = serving.workerPids();
    stopAt = Date.now();
    const code = await serving.stop("SIGTERM");
    await Promise.all(loops);
    for (const client of clients) client.close();
    assert.equal(code, 0);
    assert.deepEqual(failed, [], "no call started before SIGTERM failed");
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), "the workers are gone too");
  });
});

describe("serve with two workers, starting", () => {
  let taken: Server;
  before(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  });
  after(() => taken.close());

  it("says an invalid configuration once and starts no worker (exit 2)", async () => {
    const bad = join(dir, "bad.toml");
    writeFileSync(bad, configText({ certCns: [] }).replace("workers = 2", "workers = 2\nlisen = 1"));
    const result = await runCertgate(["serve", "--config", bad]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.match(/server\.lisen: unknown key/g)?.length, 1);
    assert.equal(result.stdout.includes('"worker"'), false, "no worker started");
  });

  it("fails the whole start when the address is taken (exit 1, said once)", async () => {
    const busy = join(dir, "busy.toml");
    writeFileSync(busy, configText({ listen: `127.0.0.1:${(taken.address() as { port: number }).port}` }));
    const result = await runCertgate(["serve", "--config", busy]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.match(/cannot listen on .* \(server\.listen\): address already in use/g)?.length, 1, result.stderr);
  });
});
