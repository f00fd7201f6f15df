// The gRPC codec the CLI needs (serve's server, verify's JSON): build/codec.binpb and
// build/descriptors.binpb, compiled from the protos. `npm ci` builds them (package.json's
// prepare script); where they are missing all the same (a checkout installed with
// --ignore-scripts, a build/ removed), they are built now if the build script and buf
// are there, and otherwise one line says what to run. Never a stack trace.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CODEC_SET_PATH, DESCRIPTOR_SET_PATH } from "../grpc/descriptors.ts";

const BUILD_SCRIPT = fileURLToPath(new URL("../../scripts/build-descriptors.ts", import.meta.url));

/** undefined when the compiled protos are there (or were just built); otherwise what to tell the user. */
export function ensureCompiledProtos(): string | undefined {
  if (existsSync(CODEC_SET_PATH) && existsSync(DESCRIPTOR_SET_PATH)) return undefined;
  if (existsSync(BUILD_SCRIPT)) {
    // Its progress goes to stderr: stdout is the command's answer (verify prints JSON there).
    const built = spawnSync(process.execPath, [BUILD_SCRIPT], { stdio: ["ignore", 2, 2] });
    if (built.status === 0 && existsSync(CODEC_SET_PATH)) return undefined;
  }
  return `the compiled protos (${CODEC_SET_PATH}) are missing and could not be built here: run "npm run build" in certgate's folder`;
}
