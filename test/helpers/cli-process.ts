// The certgate CLI as a child process, the way operators run it.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

/** Runs one command to completion. */
export function runCertgate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }));
  });
}

export interface ServingProcess {
  readonly child: ChildProcess;
  readonly address: string;
  /** Every stdout line so far (JSON log lines). */
  readonly lines: string[];
}

/** Starts `certgate serve` and resolves with the address from its start-up line. */
export function serveCertgate(config: string): Promise<ServingProcess> {
  const child = spawn(process.execPath, [MAIN, "serve", "--config", config], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start-up line: ${lines.join("\n")}`)), 15_000);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      lines.push(line);
      const match = /certgate listening on (\S+);/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve({ child, address: match[1]!, lines });
      }
    });
    child.on("exit", (code) => reject(new Error(`exited ${code}: ${lines.join("\n")}`)));
  });
}

/** Waits until `done()` holds, checking every 50 ms, for at most `ms`. */
export async function eventually(done: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}
