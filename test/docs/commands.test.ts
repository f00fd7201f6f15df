// Every command the README and the docs show in an `sh` block is run, as a reader would
// run it, from the repository: `npm start` (the README's first command; `npm ci` and
// `npm test` are what CI runs, .ci/run, so they are checked against it), then every
// `npx buf curl` against it, every `npx certgate` (a trailing `&` starts a server
// in the background, as in the docs). A command that no longer works, a file it names
// that does not exist, or a command this test does not know how to run fails here.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FILES = ["README.md", "docs/api.md", "docs/command-line.md", "docs/envoy-istio.md", "docs/spiffe.md", "docs/operations.md", "docs/configuration.md"];

/** The lines of every ```sh block of a document. */
function shellLines(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(/^```sh\n([\s\S]*?)^```/gm)].flatMap((block) => block[1]!.split("\n").filter((line) => line.trim() !== ""));
}

/** serve's own flags for addresses: every server this test starts listens on ports it was given by the system, beside any already running. */
const FREE_PORTS = `--listen 127.0.0.1:0 --metrics-listen ""`;

interface Background {
  readonly child: ChildProcess;
  /** The gRPC address from its start-up line. */
  readonly address: string;
}

/** A background process (its own process group, so the whole tree stops), resolved once it logs that it listens. */
function background(command: string): Promise<Background> {
  const child = spawn("bash", ["-c", command], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command}: no "certgate listening" line in 60 s:\n${output}`)), 60_000);
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /certgate listening on (\S+);/.exec(output);
      if (listening !== null) {
        clearTimeout(timer);
        resolve({ child, address: listening[1]! });
      }
    };
    child.stdout!.on("data", seen);
    child.stderr!.on("data", seen);
    child.on("exit", (code) => reject(new Error(`${command}: exited ${code}:\n${output}`)));
  });
}

function stop(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // already gone
  }
}

/** The README's server is at the default address in the docs; this test's is where the system put it. */
const DOCS_ADDRESS = "127.0.0.1:50051";

describe("the commands in README.md and docs/", () => {
  const servers: ChildProcess[] = [];
  let address = DOCS_ADDRESS;
  before(async () => {
    const started = await background(`npm start -- ${FREE_PORTS}`);
    servers.push(started.child);
    address = started.address;
  });
  after(() => {
    for (const server of servers) stop(server);
  });

  it("installs and tests as CI does: the README's npm ci and npm test are .ci/run's", () => {
    const ci = readFileSync(join(ROOT, ".ci/run"), "utf8").trim().split("\n");
    const readme = shellLines("README.md");
    assert.ok(readme.includes("npm ci && npm start") && ci.includes("npm ci"));
    assert.ok(readme.includes("npm test"));
    assert.equal(ci.at(-1), "npm test");
  });

  for (const file of FILES) {
    it(`runs every command of ${file}`, { timeout: 180_000 }, async () => {
      for (const line of shellLines(file)) {
        if (line === "npm ci && npm start" || line === "npm test") continue; // started above, or CI's own command
        if (line.endsWith("&")) {
          assert.match(line, /^npx certgate serve /, line);
          servers.push((await background(`${line.slice(0, -1).trim()} ${FREE_PORTS}`)).child);
          continue;
        }
        assert.match(line, /^npx (certgate|buf curl) /, `a command this test knows how to run: ${line}`);
        const command = line.replaceAll(DOCS_ADDRESS, address);
        const result = spawnSync("bash", ["-c", command], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
        const allowed = line.startsWith("npx certgate verify") ? [0, 1] : [0];
        assert.ok(allowed.includes(result.status ?? -1), `${line}\nexit ${result.status}\n${result.stdout}\n${result.stderr}`);
        assert.notEqual(result.stdout.trim(), "", line);
        assert.doesNotMatch(result.stderr, /usage: certgate|Error:/, line);
      }
    });
  }
});
