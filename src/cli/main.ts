#!/usr/bin/env node
// certgate command line: serve | verify | check | certs. Each command's module is imported
// when it runs, so a server never loads the dev PKI generator or the offline verifier.
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { DEV_PKI_DIR } from "../devpki/layout.ts";
import { runtimeProblem } from "./runtime.ts";
import { CERTS_USAGE, CHECK_USAGE, SERVE_USAGE, USAGE, VERIFY_USAGE, version, wantsHelp } from "./usage.ts";

const COMMAND_USAGE: Readonly<Record<string, string>> = { serve: SERVE_USAGE, verify: VERIFY_USAGE, check: CHECK_USAGE, certs: CERTS_USAGE };

/** --workers: a count, or "auto" (one per core this process may use); null when it is neither. */
function workersOption(value: string | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  if (value === "auto") return availableParallelism();
  return /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 256 ? Number(value) : null;
}

async function main(argv: readonly string[]): Promise<number> {
  const problem = runtimeProblem(process.version);
  if (problem !== undefined) {
    process.stderr.write(`${problem}\n`);
    return 2;
  }
  const [command, ...rest] = argv;
  const stdout = (text: string) => process.stdout.write(text);
  const stderr = (text: string) => process.stderr.write(text);
  if (command === "--version" || command === "version") {
    stdout(`certgate ${version()}\n`);
    return 0;
  }
  const usage = command === undefined ? undefined : COMMAND_USAGE[command];
  if (usage === undefined) {
    const help = command === "--help" || command === "-h" || command === "help";
    (help ? stdout : stderr)(`${USAGE}\n`);
    return help ? 0 : 2;
  }
  if (wantsHelp(rest)) {
    stdout(`${usage}\n`);
    return 0;
  }
  if (command === "serve" || command === "verify") {
    const { ensureCompiledProtos } = await import("./compiled-protos.ts");
    const missing = ensureCompiledProtos();
    if (missing !== undefined) {
      stderr(`certgate ${command}: ${missing}\n`);
      return 2;
    }
  }
  switch (command) {
    case "serve": {
      let values: { config?: string | undefined; workers?: string | undefined; listen?: string | undefined; "metrics-listen"?: string | undefined };
      try {
        const options = { config: { type: "string" }, workers: { type: "string" }, listen: { type: "string" }, "metrics-listen": { type: "string" } } as const;
        values = parseArgs({ args: [...rest], options }).values;
      } catch (error) {
        stderr(`certgate serve: ${(error as Error).message}\n${SERVE_USAGE}\n`);
        return 2;
      }
      const workers = workersOption(values.workers);
      if (workers === null) {
        stderr(`certgate serve: --workers must be a number from 1 to 256 or "auto", found ${JSON.stringify(values.workers)}\n${SERVE_USAGE}\n`);
        return 2;
      }
      const { serveCommand } = await import("./serve.ts");
      return serveCommand(values.config, { workers, overrides: { listen: values.listen, metricsListen: values["metrics-listen"] } });
    }
    case "verify": {
      const { verifyCommand } = await import("./verify.ts");
      return verifyCommand(rest, stdout, stderr);
    }
    case "check": {
      const { checkCommand } = await import("./check.ts");
      return checkCommand(rest, stdout, stderr);
    }
    default: {
      const { certsCommand } = await import("./certs.ts");
      return certsCommand(rest, DEV_PKI_DIR, stdout, stderr);
    }
  }
}

process.exitCode = await main(process.argv.slice(2));
