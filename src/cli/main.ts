#!/usr/bin/env node
// certgate command line: serve | verify | certs.
import { parseArgs } from "node:util";
import { certsCommand } from "./certs.ts";
import { DEV_PKI_DIR, serveCommand } from "./serve.ts";
import { VERIFY_USAGE, verifyCommand } from "./verify.ts";

const USAGE = `usage: certgate <command>
  serve [--config FILE]      run the gRPC service (no --config: built-in dev default)
  verify ... LEAF_FILE       check a chain offline and print the decision as JSON
  certs [--out DIR] [--force]  write the dev PKI (default certs/dev)

${VERIFY_USAGE}`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const stdout = (text: string) => process.stdout.write(text);
  const stderr = (text: string) => process.stderr.write(text);
  switch (command) {
    case "serve": {
      let config: string | undefined;
      try {
        config = parseArgs({ args: [...rest], options: { config: { type: "string" } } }).values.config;
      } catch (error) {
        stderr(`certgate serve: ${(error as Error).message}\n${USAGE}\n`);
        return 2;
      }
      return serveCommand(config);
    }
    case "verify":
      return await verifyCommand(rest, stdout, stderr);
    case "certs":
      return certsCommand(rest, DEV_PKI_DIR, stdout);
    default:
      stderr(`${USAGE}\n`);
      return command === "--help" || command === "help" ? 0 : 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
