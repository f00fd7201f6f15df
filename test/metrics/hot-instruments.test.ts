// The hot-path counter and histogram write what prom-client's own would write for the
// same observations (differential), and add up in the cluster aggregator.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AggregatorRegistry, Counter, Histogram, Registry } from "prom-client";
import { HotCounter, HotHistogram } from "../../src/metrics/hot-instruments.ts";

const BUCKETS = [0.001, 0.01, 0.1];
const OBSERVED = [0.0005, 0.001, 0.002, 0.05, 0.5, 0.0001];

describe("hot instruments", () => {
  it("write the text prom-client's Counter and Histogram write", async () => {
    const hot = new Registry();
    const reference = new Registry();
    const counter = new HotCounter("x_total", "help", hot);
    const histogram = new HotHistogram("x_seconds", "help", BUCKETS, hot);
    const referenceCounter = new Counter({ name: "x_total", help: "help", labelNames: ["rpc", "reason"], registers: [reference] });
    const referenceHistogram = new Histogram({ name: "x_seconds", help: "help", labelNames: ["rpc"], buckets: BUCKETS, registers: [reference] });
    for (const [i, value] of OBSERVED.entries()) {
      const reason = i % 2 === 0 ? "OK" : "REVOKED";
      counter.child({ rpc: "Check", reason }).inc();
      referenceCounter.inc({ rpc: "Check", reason });
      histogram.child({ rpc: "Check" }).observe(value);
      referenceHistogram.observe({ rpc: "Check" }, value);
    }
    assert.equal(await hot.metrics(), await reference.metrics());
  });

  it("sum across workers in the cluster aggregator", async () => {
    const workers = [new Registry(), new Registry()];
    for (const registry of workers) {
      new HotCounter("calls_total", "help", registry).child({ rpc: "Validate" }).inc();
      new HotHistogram("t_seconds", "help", BUCKETS, registry).child({ rpc: "Validate" }).observe(0.005);
    }
    const aggregated = AggregatorRegistry.aggregate(await Promise.all(workers.map((registry) => registry.getMetricsAsJSON())));
    const text = await aggregated.metrics();
    assert.match(text, /calls_total\{rpc="Validate"\} 2/);
    assert.match(text, /t_seconds_bucket\{le="0.01",rpc="Validate"\} 2/);
    assert.match(text, /t_seconds_count\{rpc="Validate"\} 2/);
  });
});
