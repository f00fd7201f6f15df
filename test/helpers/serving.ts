// `certgate serve` as a real process (or, with workers, a real cluster), with what a
// test needs of it: its addresses, its log lines as they come, its worker processes,
// signals, its exit code; and grpc-js clients that each open a connection of their own.
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import * as grpc from "@grpc/grpc-js";
import { MAIN, eventually } from "./cli-process.ts";
import { clientFor } from "./server.ts";

export interface Serving {
  readonly child: ChildProcess;
  readonly address: string;
  readonly metrics: string | undefined;
  /** Every JSON log line so far, of the primary and its workers. */
  readonly lines: Record<string, unknown>[];
  stderr(): string;
  /** The worker processes' pids (children of the primary). */
  workerPids(): number[];
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

/** Starts serve and resolves once its start-up line says where it listens (rejects if it exits first). */
export function startServing(configPath: string, args: readonly string[] = []): Promise<Serving> {
  const child = spawn(process.execPath, [MAIN, "serve", "--config", configPath, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start-up line in 30 s:\n${JSON.stringify(lines)}\n${stderr}`)), 30_000);
    createInterface({ input: child.stdout! }).on("line", (text) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return;
      }
      lines.push(line);
      const match = /certgate listening on (\S+);/.exec(String(line.msg));
      if (match === null) return;
      clearTimeout(timer);
      resolve({
        child,
        address: match[1]!,
        metrics: line.metrics as string | undefined,
        lines,
        stderr: () => stderr,
        workerPids: () => childrenOf(child.pid!),
        stop: async (signal = "SIGTERM") => {
          child.kill(signal);
          return exited;
        },
        exited,
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`serve exited ${code}:\n${stderr}`), { code, stderr }));
    });
  });
}

/** The pids whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** One metric's value from a scrape (the sum over lines matching `labels`, all when omitted). */
export async function metric(address: string, name: string, labels = ""): Promise<number> {
  const text = await (await fetch(`http://${address}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith(name) && (line[name.length] === " " || line[name.length] === "{") && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

/** A client on a connection of its own (grpc-js shares subchannels between clients otherwise). */
export function ownConnection(service: string, address: string, options: grpc.ChannelOptions = {}): grpc.Client & Record<string, Function> {
  return clientFor(service, address, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1, ...options });
}

export { eventually };
