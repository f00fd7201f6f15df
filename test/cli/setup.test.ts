// A correct setup prints nothing it should not: npm may run on the machine's older
// Node (the engines field admits it, so no EBADENGINE), the project's pinned Node 24
// runs certgate, an older Node running certgate's JavaScript is told what to do, and
// a build with nothing new to write is quiet.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { RUNTIME_MAJOR, runtimeProblem } from "../../src/cli/runtime.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { engines: { node: string }; devDependencies: { node: string } };
const major = (version: string) => Number(version.replace(/^v/, "").split(".")[0]);

/** The machine's own Node (the one npm runs on), outside the project's node_modules/.bin; the running one if there is none. */
function machineNode(): { path: string; version: string } {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const path = join(dir, "node");
    if (dir.includes("node_modules") || !existsSync(path)) continue;
    return { path, version: execFileSync(path, ["--version"], { encoding: "utf8" }).trim() };
  }
  return { path: process.execPath, version: process.version };
}

describe("setup", () => {
  it("admits the machine's Node in engines (no EBADENGINE from npm) and pins the Node certgate runs on", () => {
    const minimum = /^>=(\d+)$/.exec(manifest.engines.node);
    assert.ok(minimum, `engines.node is a plain minimum: ${manifest.engines.node}`);
    assert.ok(major(machineNode().version) >= Number(minimum[1]), `${machineNode().version} satisfies ${manifest.engines.node}`);
    assert.ok(major(manifest.devDependencies.node) >= RUNTIME_MAJOR);
    assert.ok(major(process.version) >= RUNTIME_MAJOR, "npm scripts run on the pinned Node");
  });

  it("tells an older Node running certgate's JavaScript to use the pinned one", () => {
    assert.equal(runtimeProblem(process.version), undefined);
    assert.match(runtimeProblem("v20.20.2") ?? "", /^certgate needs Node\.js 24 or later, this is v20\.20\.2: run it with npx certgate or npm start/);
    const node = machineNode();
    if (major(node.version) >= RUNTIME_MAJOR) return; // this machine's Node is new enough: nothing to refuse
    const result = spawnSync(node.path, [join(ROOT, "dist/cli/main.js"), "--version"], { encoding: "utf8" });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^certgate needs Node\.js 24 or later/);
  });

  it("builds quietly when nothing changed (npm start prints only certgate's own line)", () => {
    const output = execFileSync(process.execPath, [join(ROOT, "scripts/build-descriptors.ts")], { cwd: ROOT, encoding: "utf8" });
    assert.equal(output, "");
  });
});
