// The container image must start. There is no Docker engine here, so the test does
// what the runtime stage does: it reads the stage's COPY lines from the Dockerfile,
// assembles exactly those files (node_modules pruned to the production dependencies,
// as `npm prune --omit=dev` leaves them) in an empty folder, runs the ENTRYPOINT there
// with the stage's ENV, and calls Health and Validate. A file the stage forgets to copy
// fails the test, and so does a COPY line whose source the build does not produce.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { newPki } from "../helpers/pki.ts";
import { clientFor, unary } from "../helpers/server.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface RuntimeStage {
  readonly copies: readonly { readonly sources: readonly string[]; readonly target: string; readonly fromBuild: boolean }[];
  readonly env: Readonly<Record<string, string>>;
  readonly entrypoint: readonly string[];
}

/** The last stage of the Dockerfile: its COPY lines, ENV and ENTRYPOINT. */
function runtimeStage(): RuntimeStage {
  const lines = readFileSync(join(ROOT, "Dockerfile"), "utf8").split("\n");
  const stage = lines.slice(lines.map((line) => line.startsWith("FROM ")).lastIndexOf(true));
  const copies = stage
    .filter((line) => line.startsWith("COPY "))
    .map((line) => {
      const words = line.split(/\s+/).slice(1);
      const fromBuild = words[0] === "--from=build";
      const paths = fromBuild ? words.slice(1) : words;
      return { sources: paths.slice(0, -1).map((source) => source.replace(/^\/app\//, "")), target: paths.at(-1)!, fromBuild };
    });
  const env = Object.fromEntries(
    stage
      .filter((line) => line.startsWith("ENV "))
      .map((line) => /^ENV (\w+)=(?:"(.*)"|(\S*))$/.exec(line)!)
      .map((m) => [m[1]!, m[2] ?? m[3] ?? ""]),
  );
  const entrypoint = JSON.parse(stage.find((line) => line.startsWith("ENTRYPOINT "))!.slice("ENTRYPOINT ".length)) as string[];
  return { copies, env, entrypoint };
}

/** The production dependencies, as `npm prune --omit=dev` leaves node_modules: the top-level packages the lockfile does not mark dev. */
function copyProductionModules(to: string): void {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path.startsWith("node_modules/") || path.slice("node_modules/".length).includes("node_modules/") || entry.dev === true) continue;
    if (!existsSync(join(ROOT, path))) continue; // an optional package for another platform
    cpSync(join(ROOT, path), join(to, path), { recursive: true });
  }
}

function assemble(stage: RuntimeStage, app: string): void {
  for (const { sources, target, fromBuild } of stage.copies) {
    for (const source of sources) {
      assert.ok(existsSync(join(ROOT, source)), `the Dockerfile copies ${source}, which the build does not produce`);
      const destination = target.endsWith("/") ? join(app, target, basename(source)) : join(app, target);
      mkdirSync(dirname(destination), { recursive: true });
      if (fromBuild && source === "node_modules") copyProductionModules(app);
      else cpSync(join(ROOT, source), destination, { recursive: true });
    }
  }
}

describe("the container image's runtime stage", () => {
  it("copies everything serve needs: started from those files alone, it answers Health and Validate", { timeout: 60_000 }, async () => {
    const stage = runtimeStage();
    const app = mkdtempSync(join(tmpdir(), "certgate-image-"));
    assemble(stage, app);
    const pki = await newPki();
    mkdirSync(join(app, "config"));
    writeFileSync(join(app, "config", "root.pem"), pki.root.pem);
    writeFileSync(
      join(app, "config", "deployment.toml"),
      `[server]\nlisten = "127.0.0.1:0"\n[metrics]\nlisten = "127.0.0.1:0"\n[truststore]\nca_files = ["root.pem"]\n` +
        `[intermediate_cert_validation]\ncert_cns = ["certgate-dev-intermediate"]\n`,
    );
    const [command, ...args] = stage.entrypoint;
    assert.equal(command, "node");
    const child = spawn(process.execPath, [...args, "serve", "--config", "config/deployment.toml"], {
      cwd: app,
      env: { PATH: process.env.PATH, ...stage.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output: string[] = [];
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    try {
      const address = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on("line", (line) => {
          output.push(line);
          const match = /certgate listening on (\S+);/.exec(line);
          if (match) resolve(match[1]!);
        });
        child.on("exit", (code) => reject(new Error(`exited ${code}: ${output.join("\n")}`)));
      });
      const health = clientFor("grpc.health.v1.Health", address);
      assert.equal((await unary<{ status: string }>(health, "Check", {})).status, "SERVING");
      health.close();
      const validator = clientFor("certgate.v1.CertificateValidator", address);
      const leaf = await pki.client("john");
      const answer = await unary<{ reason: string }>(validator, "Validate", { pem: leaf.pem + pki.intermediate.pem, context: "/api", method: "GET" });
      validator.close();
      assert.equal(answer.reason, "OK");
    } finally {
      child.kill("SIGKILL");
    }
  });
});
