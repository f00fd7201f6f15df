// The shipped alert rules are real Prometheus rules: promtool (Debian's prometheus
// package) checks them and runs their unit tests; every metric they name is one a
// certgate server exports.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { createMetrics, reloadMetrics } from "../../src/metrics/metrics.ts";
import { Registry } from "prom-client";

const DIR = fileURLToPath(new URL("../../deploy/prometheus/", import.meta.url));

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync("promtool", args, { cwd: DIR, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}${result.error?.message ?? ""}` };
}

describe("deploy/prometheus/certgate-rules.yaml", () => {
  it("passes promtool check rules", () => {
    const result = promtool("check", "rules", "certgate-rules.yaml");
    assert.equal(result.status, 0, result.output);
  });

  it("passes its unit tests (promtool test rules)", () => {
    const result = promtool("test", "rules", "certgate-rules.test.yaml");
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /SUCCESS/);
  });

  it("names only metrics certgate exports, and tests every alert it defines", async () => {
    const rules = readFileSync(`${DIR}certgate-rules.yaml`, "utf8");
    const tests = readFileSync(`${DIR}certgate-rules.test.yaml`, "utf8");
    const names = new Set((await createMetrics(() => new Date(), { worker: "1" }).registry.getMetricsAsJSON()).map((metric) => metric.name));
    const registry = new Registry();
    reloadMetrics([registry]);
    for (const metric of await registry.getMetricsAsJSON()) names.add(metric.name);
    names.add("certgate_worker_restarts_total"); // the cluster primary's own
    for (const [, name] of rules.matchAll(/\b(certgate_[a-z_]+?)(?:_bucket)?\b[{[]/g)) assert.ok(names.has(name!), `${name} is not a certgate metric`);
    for (const [, alert] of rules.matchAll(/- alert: (\w+)/g)) assert.ok(tests.includes(`alertname: ${alert}`), `${alert} has no unit test`);
  });
});
