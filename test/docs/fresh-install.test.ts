// A user's first minutes: a fresh copy of the repository, `npm ci` and nothing else (no
// build, no npm start), then every `npx certgate` command of the README and the docs
// that needs no running server. npm prints no install-script warning, the Node pin
// holds, and each command answers: never a stack trace for something not yet built.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DOCS = ["README.md", "docs/api.md", "docs/command-line.md", "docs/spiffe.md"];

/** The repository's files as a clone holds them: tracked ones, and new ones not ignored. */
function copyRepository(to: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
    .split("\0")
    .filter(Boolean);
  for (const file of files) {
    mkdirSync(join(to, dirname(file)), { recursive: true });
    try {
      cpSync(join(ROOT, file), join(to, file));
    } catch {
      // listed but deleted in the working tree
    }
  }
}

/** `npx certgate ...` lines of the docs that ask no server (serve is started in the background elsewhere). */
function offlineCommands(): string[] {
  return DOCS.flatMap((file) =>
    [...readFileSync(join(ROOT, file), "utf8").matchAll(/^```sh\n([\s\S]*?)^```/gm)].flatMap((block) =>
      block[1]!.split("\n").filter((line) => line.startsWith("npx certgate ") && !line.includes(" serve ")),
    ),
  );
}

describe("a fresh copy after npm ci alone", () => {
  const dir = mkdtempSync(join(tmpdir(), "certgate-fresh-"));
  let install: ReturnType<typeof spawnSync>;
  before(() => {
    copyRepository(dir);
    install = spawnSync("npm", ["ci", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: dir, encoding: "utf8", timeout: 240_000 });
  });

  it("installs without an install-script warning and keeps Node 24 for the npm scripts", () => {
    assert.equal(install.status, 0, String(install.stderr));
    assert.doesNotMatch(`${install.stdout}${install.stderr}`, /install-scripts|allowScripts/);
    const version = spawnSync("npx", ["node", "--version"], { cwd: dir, encoding: "utf8" }).stdout.trim();
    assert.match(version, /^v24\./);
  });

  it("answers every command of the README and docs that needs no server, with no build but npm ci's", () => {
    const commands = offlineCommands();
    assert.ok(commands.length >= 8, commands.join("\n"));
    for (const command of ["npx certgate --help", "npx certgate verify --help", ...commands]) {
      const result = spawnSync("bash", ["-c", command], { cwd: dir, encoding: "utf8", timeout: 60_000 });
      const allowed = command.startsWith("npx certgate verify") && !command.includes("--help") ? [0, 1] : [0];
      assert.ok(allowed.includes(result.status ?? -1), `${command}\nexit ${result.status}\n${result.stdout}\n${result.stderr}`);
      assert.notEqual(result.stdout.trim(), "", command);
      assert.doesNotMatch(result.stderr, /    at |Error:/, command);
    }
  });
});
