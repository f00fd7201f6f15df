// Running one benchmark scenario: a server process (bench/server.ts) under the load of
// client processes (bench/client.ts), measured over a window after a warm-up; and the
// in-process and idle measurements. Every figure is per server CPU-second first.
import { fork, spawn } from "node:child_process";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

interface Usage {
  cpu: NodeJS.CpuUsage;
  rss: number;
  peakRss: number;
  /** The longest event-loop delay since the previous usage report. */
  loopMaxMs: number;
}

export interface Result {
  name: string;
  perCpuSecond: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Open-loop (fixed-rate) scenarios only. */
  p999?: number;
  peakRssMb: number;
  errors: number;
  rssStartMb?: number;
  rssEndMb?: number;
  /** The longest event-loop delay over the measured window. */
  loopMaxMs?: number;
}

// The heap limits deploy/kubernetes runs certgate with; without them V8 sizes its heap
// from the machine's memory and peak RSS measures garbage, not what certgate keeps.
export const SERVER_FLAGS = (process.env.BENCH_NODE_FLAGS ?? "--max-old-space-size=192 --max-semi-space-size=16").split(" ").filter(Boolean);
// BENCH_CPU_PROF=DIR writes a V8 CPU profile of every benchmark server there (one per scenario).
const PROFILE_DIR = process.env.BENCH_CPU_PROF;
if (PROFILE_DIR !== undefined) SERVER_FLAGS.push("--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`);

/** The environment the Dockerfile and deploy/kubernetes give certgate (BENCH_MALLOC_ARENA_MAX overrides; "" leaves glibc's default). */
const ARENAS = process.env.BENCH_MALLOC_ARENA_MAX ?? "2";
export const SERVER_ENV: NodeJS.ProcessEnv = ARENAS === "" ? { ...process.env } : { ...process.env, MALLOC_ARENA_MAX: ARENAS };

export interface BenchServer {
  readonly child: ReturnType<typeof fork>;
  /** The gRPC address and the HTTP (forward-auth) address, "-" where there is none. */
  readonly address: Promise<{ readonly grpc: string; readonly http: string }>;
  usage(): Promise<Usage>;
}

/** A benchmark server process in `cwd`: "echo RESPONSE_FILE" or "certgate CONFIG". */
export function startBenchServer(args: string[], cwd: string): BenchServer {
  const child = fork(join(here, "server.ts"), args, { stdio: ["ignore", "pipe", "inherit", "ipc"], cwd, execArgv: SERVER_FLAGS, env: SERVER_ENV });
  // BENCH_SERVER_LOG=FILE keeps what the servers print (with BENCH_NODE_FLAGS="... --trace-gc", their collections).
  const log = process.env.BENCH_SERVER_LOG;
  const address = new Promise<{ grpc: string; http: string }>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      if (log !== undefined) appendFileSync(log, chunk);
      const match = /READY (\S+) (\S+)/.exec(String(chunk));
      if (match) resolve({ grpc: match[1]!, http: match[2]! });
    });
    child.once("exit", (code) => reject(new Error(`bench server exited ${code}`)));
  });
  const usage = () =>
    new Promise<Usage>((resolve) => {
      child.once("message", (message) => resolve(message as Usage));
      child.send("usage");
    });
  return { child, address, usage };
}

export function runClient(job: object, client = "client.ts"): Promise<{ count: number; errors: number; sample: number[] }> {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, client), [JSON.stringify(job)], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => (out += String(chunk)));
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`bench client exited ${code}`))));
  });
}

export const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

export interface HarnessOptions {
  /** Where the server runs (its config's relative paths resolve here). */
  readonly dir: string;
  readonly seconds: number;
  readonly warmupMs: number;
  readonly clients: number;
  readonly inFlight: number;
  /** Framed leaf DERs and the intermediate's DER, for the distinct-chains load. */
  readonly leavesFile: string;
  readonly intermediateFile: string;
}

export interface Load {
  /** A gRPC method path; or, for an HTTP load, the whole request to send on keep-alive connections. */
  readonly path: string;
  readonly http?: { readonly request: string };
  readonly payloads?: string;
  readonly combos?: boolean;
  readonly durationMs?: number;
  /** Connections per client process (default 1). */
  readonly connections?: number;
  /** Open loop: calls per second in all, split over the client processes. */
  readonly rate?: number;
  /** Called once the measured window has started (e.g. to change the server's files under load). */
  readonly during?: (server: BenchServer) => Promise<void>;
}

export interface Spec {
  readonly name: string;
  readonly serverArgs: string[];
  readonly load: Load;
}

/** One scenario: a server, CLIENTS client processes with IN_FLIGHT calls outstanding, a measured window. */
export async function scenario(options: HarnessOptions, name: string, serverArgs: string[], load: Load): Promise<Result> {
  const [result] = await sideBySide(options, [{ name, serverArgs, load }]);
  return result!;
}

/**
 * Scenarios measured side by side: every server under its own CLIENTS client processes
 * over the same window. What the machine's neighbours take in that window they take from
 * all of them alike, so the ratio of two of them holds where two separate runs differ by
 * a quarter (measured here: the same server twice, 0.98-1.02 side by side; 31k-50k
 * calls/server-CPU-s one after the other). Per server CPU-second only: each server gets
 * part of the cores, so calls/s compare nothing.
 */
export async function sideBySide(options: HarnessOptions, specs: readonly Spec[]): Promise<Result[]> {
  const servers = specs.map((spec) => startBenchServer(spec.serverArgs, options.dir));
  try {
    const addresses = await Promise.all(servers.map((server) => server.address));
    const startAt = Date.now() + 1500;
    const runs = specs.map((spec, i) => clientsOf(options, spec.load, addresses[i]!, startAt));
    await new Promise((resolve) => setTimeout(resolve, startAt + options.warmupMs - Date.now()));
    const before = await Promise.all(servers.map((server) => server.usage()));
    const durationMs = windowOf(options, specs[0]!.load);
    await Promise.all([new Promise((resolve) => setTimeout(resolve, durationMs)), ...specs.map((spec, i) => spec.load.during?.(servers[i]!))]);
    const after = await Promise.all(servers.map((server) => server.usage()));
    const reports = await Promise.all(runs.map((clients) => Promise.all(clients)));
    return specs.map((spec, i) => resultOf(spec.name, reports[i]!, before[i]!, after[i]!, durationMs));
  } finally {
    // Whatever the clients report (or throw), the servers go: an orphan would hold the run's stdout open.
    if (PROFILE_DIR === undefined) for (const server of servers) server.child.kill("SIGTERM");
    else await Promise.all(servers.map((server) => new Promise((resolve) => server.child.once("exit", resolve).kill("SIGINT"))));
  }
}

const windowOf = (options: HarnessOptions, load: Load) => load.durationMs ?? options.seconds * 1000;

type Report = { count: number; errors: number; sample: number[] };

function clientsOf(options: HarnessOptions, load: Load, addresses: { grpc: string; http: string }, startAt: number): Promise<Report>[] {
  const perClient = Math.max(1, Math.round(options.inFlight / options.clients));
  const timing = {
    inFlight: perClient,
    startAt,
    warmupMs: options.warmupMs,
    durationMs: windowOf(options, load),
    connections: load.connections,
    rate: load.rate === undefined ? undefined : load.rate / options.clients,
  };
  return Array.from({ length: options.clients }, (_, i) =>
    load.http !== undefined
      ? runClient({ address: addresses.http, request: load.http.request, ...timing }, "http-client.ts")
      : runClient({
          address: addresses.grpc,
          path: load.path,
          payloads: load.payloads,
          combos: load.combos ? { leaves: options.leavesFile, intermediate: options.intermediateFile, offset: i * 1_000_003 } : undefined,
          ...timing,
        }),
  );
}

function resultOf(name: string, reports: readonly Report[], before: Usage, after: Usage, durationMs: number): Result {
  const calls = reports.reduce((sum, r) => sum + r.count, 0);
  const cpuSeconds = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6;
  const latencies = reports.flatMap((r) => r.sample).sort((a, b) => a - b);
  return {
    name,
    perCpuSecond: calls / cpuSeconds,
    perSecond: calls / (durationMs / 1000),
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    p999: quantile(latencies, 0.999),
    peakRssMb: after.peakRss / 2 ** 20,
    errors: reports.reduce((sum, r) => sum + r.errors, 0),
    rssStartMb: before.rss / 2 ** 20,
    rssEndMb: after.rss / 2 ** 20,
    loopMaxMs: after.loopMaxMs,
  };
}

/** `work` on each of `ders` in turn for `seconds`, in this process: items per CPU-second. */
export function perItem(name: string, ders: readonly Uint8Array[], seconds: number, work: (der: Uint8Array) => void): Result {
  const started = process.cpuUsage();
  const wall = performance.now();
  let n = 0;
  while (performance.now() - wall < seconds * 1000) {
    for (let i = 0; i < 100; i++, n++) work(ders[n % ders.length]!);
  }
  const used = process.cpuUsage(started);
  return {
    name,
    perCpuSecond: n / ((used.user + used.system) / 1e6),
    perSecond: n / seconds,
    p50: 0,
    p99: 0,
    peakRssMb: process.memoryUsage().rss / 2 ** 20,
    errors: 0,
  };
}

/** RSS of `certgate serve` as a user starts it (`npm start`: compiled JavaScript, built-in default) once start-up settles. */
export async function idleRss(settleMs: number): Promise<number> {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const child = spawn(process.execPath, [join(root, "dist/cli/main.js"), "serve"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += String(chunk);
      if (output.includes("certgate listening")) resolve();
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`certgate serve exited ${code} before listening:\n${output}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  child.kill("SIGTERM");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** One line per result, as the README and closing notes quote them. */
export function formatResult(r: Result): string {
  const rss = r.rssEndMb === undefined ? "" : `  rss ${r.rssStartMb!.toFixed(0)}->${r.rssEndMb.toFixed(0)} MB`;
  const rate = `${r.perCpuSecond.toFixed(0).padStart(7)} calls/server-CPU-s ${r.perSecond.toFixed(0).padStart(7)} calls/s`;
  const latency = `p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms`;
  return `${r.name.padEnd(22)} ${rate}  ${latency}  peak RSS ${r.peakRssMb.toFixed(0)} MB${rss}${r.errors > 0 ? `  ERRORS ${r.errors}` : ""}`;
}
