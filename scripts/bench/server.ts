// Benchmark server process: `echo` (a bare grpc-js server answering Validate with a
// fixed response: the transport ceiling), `http-echo` (a bare node:http server answering
// 200: the forward-auth ceiling), `certgate CONFIG` (the real service, in this process,
// from dist/ as `npm start` runs it) or `serve CONFIG` (`certgate serve` as a child
// process, for a cluster of workers; its CPU is summed over the whole process tree).
// Prints "READY <gRPC address> <HTTP address or ->"; answers IPC "usage" with its CPU time, RSS, peak RSS and
// the longest event-loop delay since the previous "usage" (perf_hooks.monitorEventLoopDelay).
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { createServer } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import { processTree } from "./process-tree.ts";
// The service runs as production does: the compiled JavaScript in dist/ (npm run build).
const { startService }: typeof import("../../src/process/service.ts") = await import(new URL("../../dist/process/service.js", import.meta.url).href);

const [mode, argument] = process.argv.slice(2);
let peakRss = process.memoryUsage().rss;
setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100).unref();

// Exit normally on SIGINT, so `node --cpu-prof scripts/bench/server.ts ...` writes its profile.
process.on("SIGINT", () => process.exit(0));

const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();

/** A `certgate serve` child (mode serve): usage is its whole process tree's. */
let served: ChildProcess | undefined;

process.on("message", (message) => {
  if (message !== "usage") return;
  if (served !== undefined) {
    const tree = processTree(served.pid!);
    const micros = tree.reduce((sum, entry) => sum + entry.cpuMicros, 0);
    const rss = tree.reduce((sum, entry) => sum + entry.rssBytes, 0);
    peakRss = Math.max(peakRss, rss);
    process.send!({ cpu: { user: micros, system: 0 }, rss, peakRss, loopMaxMs: Number.NaN });
    return;
  }
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  process.send!({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss, peakRss, loopMaxMs: loop.max / 1e6 });
  loop.reset();
});

/** `certgate serve --config CONFIG` from dist/, with this process's heap flags; its start-up line names the addresses. */
function serve(config: string): Promise<[string, string]> {
  const main = new URL("../../dist/cli/main.js", import.meta.url).pathname;
  served = spawn(process.execPath, [...process.execArgv, main, "serve", "--config", config], { stdio: ["ignore", "pipe", "inherit"] });
  // The harness ends a scenario with SIGTERM: the serve tree goes with this process (its workers follow their primary).
  process.once("SIGTERM", () => {
    served?.kill("SIGKILL");
    process.exit(0);
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: served!.stdout! }).on("line", (line) => {
      const match = /certgate listening on (\S+);/.exec(line);
      if (match !== null) resolve([match[1]!, (JSON.parse(line) as { forwardAuth?: string }).forwardAuth ?? "-"]);
    });
    served!.once("exit", (code) => reject(new Error(`certgate serve exited ${code}`)));
  });
}

async function echo(responseFile: string): Promise<string> {
  const response = readFileSync(responseFile);
  const server = new grpc.Server();
  const identity = (bytes: Buffer) => bytes;
  server.addService(
    {
      Validate: {
        path: "/certgate.v1.CertificateValidator/Validate",
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    { Validate: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => callback(null, response) },
  );
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(`127.0.0.1:${port}`))),
  );
}

/** A bare node:http server answering 200 with no body: what any HTTP answer costs. */
function httpEcho(): Promise<string> {
  const server = createServer({ keepAliveTimeout: 120_000, noDelay: true }, (_request, response) => {
    response.writeHead(200, { "content-length": "0" });
    response.end();
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`127.0.0.1:${(server.address() as { port: number }).port}`)));
}

async function start(): Promise<[string, string]> {
  if (mode === "echo") return [await echo(argument!), "-"];
  if (mode === "http-echo") return ["-", await httpEcho()];
  if (mode === "serve") return serve(argument!);
  const service = await startService(argument, pino({ level: "warn" }));
  return [service.server.address, service.forwardAuth?.address ?? "-"];
}

const [address, httpAddress] = await start();
console.log(`READY ${address} ${httpAddress}`);
