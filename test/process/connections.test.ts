// Connections that move: with a 2-second maximum connection age, one long-lived
// client's connection is replaced under load without a failed call; and three replicas
// behind a grpc-js client using the documented service config (round_robin, a retry
// policy for UNAVAILABLE) lose no call when one of them is stopped under load.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { writeDevPki } from "../../src/devpki/dev-pki.ts";
import { unary } from "../helpers/server.ts";
import { metric, ownConnection, startServing, type Serving } from "../helpers/serving.ts";

const VALIDATOR = "certgate.v1.CertificateValidator";
const dir = mkdtempSync(join(tmpdir(), "certgate-connections-"));
const john = () => readFileSync(join(dir, "pki", "client-john.pem"), "utf8");
const SERVICE_CONFIG = readFileSync(new URL("../../deploy/grpc/service-config.json", import.meta.url), "utf8");

function configFile(name: string, server: string): string {
  const path = join(dir, `${name}.toml`);
  writeFileSync(
    path,
    `[server]\nlisten = "127.0.0.1:0"\ndrain_seconds = 5\n${server}\n[metrics]\nlisten = "127.0.0.1:0"\n[truststore]\nca_files = ["pki/root-ca.pem"]\n` +
      `[intermediate_cert_validation]\ncert_cns = ["certgate-dev-intermediate"]\n[log]\naudit = false\n`,
  );
  return path;
}

/** A TCP relay in front of `target` that counts the connections made through it. */
async function countingRelay(target: string): Promise<{ address: string; connections: () => number; close(): Promise<void> }> {
  const at = target.lastIndexOf(":");
  let connections = 0;
  const sockets = new Set<Socket>();
  const relay: Server = createServer((client) => {
    connections++;
    const upstream = connect(Number(target.slice(at + 1)), target.slice(0, at));
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${(relay.address() as { port: number }).port}`,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        relay.close(() => resolve());
      }),
  };
}

/** `workers` loops calling Validate until `until()` is false; failed calls are returned. */
async function load(client: ReturnType<typeof ownConnection>, workers: number, until: () => boolean): Promise<{ answered: number; failed: string[] }> {
  let answered = 0;
  const failed: string[] = [];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (until()) {
        try {
          const answer = await unary<{ reason: string }>(client, "Validate", { pem: john(), context: "/api/users", method: "GET" }, 5000);
          if (answer.reason === "OK") answered++;
          else failed.push(answer.reason);
        } catch (error) {
          failed.push((error as Error).message);
        }
      }
    }),
  );
  return { answered, failed };
}

before(async () => {
  await writeDevPki(join(dir, "pki"), new Date());
});

describe("maximum connection age", () => {
  let serving: Serving;
  before(async () => {
    serving = await startServing(configFile("age", "max_connection_age_seconds = 2\nmax_connection_age_grace_seconds = 5"));
  });
  after(async () => {
    await serving.stop();
  });

  it("replaces a long-lived client's connection under load, failing no call", async () => {
    const relay = await countingRelay(serving.address);
    const client = ownConnection(VALIDATOR, relay.address);
    try {
      const deadline = Date.now() + 5500;
      const { answered, failed } = await load(client, 8, () => Date.now() < deadline);
      assert.deepEqual(failed, []);
      assert.ok(answered > 100, `${answered} calls answered`);
      // 5.5 s at an age of 2 s (±10%): the first connection and at least two after it.
      assert.ok(relay.connections() >= 3, `${relay.connections()} connections`);
    } finally {
      client.close();
      await relay.close();
    }
  });
});

describe("three replicas behind round_robin and the documented retry policy", () => {
  const replicas: Serving[] = [];
  before(async () => {
    for (let i = 0; i < 3; i++) replicas.push(await startServing(configFile(`replica-${i}`, "")));
  });
  after(async () => {
    await Promise.all(replicas.filter((replica) => replica.child.exitCode === null).map((replica) => replica.stop()));
  });

  it("spreads calls over every replica and loses none when one is stopped (SIGTERM), nor when another is killed (SIGKILL)", async () => {
    const target = `ipv4:${replicas.map((replica) => replica.address).join(",")}`;
    const client = ownConnection(VALIDATOR, target, { "grpc.service_config": SERVICE_CONFIG });
    let stopping = false;
    let stopped = false;
    try {
      const running = load(client, 16, () => !stopped);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const served = await Promise.all(replicas.map((replica) => metric(replica.metrics!, "certgate_decisions_total")));
      assert.ok(
        served.every((calls) => calls > 0),
        `calls per replica: ${served}`,
      );
      stopping = true;
      assert.equal(await replicas[1]!.stop("SIGTERM"), 0);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // Calls in flight on a killed replica fail UNAVAILABLE: the retry policy sends them to the one left.
      await replicas[2]!.stop("SIGKILL");
      await new Promise((resolve) => setTimeout(resolve, 1000));
      stopped = true;
      const { answered, failed } = await running;
      assert.ok(stopping);
      assert.deepEqual(failed, [], "no call failed");
      assert.ok(answered > 200, `${answered} calls answered`);
    } finally {
      client.close();
    }
  });
});
