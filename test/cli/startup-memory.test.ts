import assert from "node:assert/strict";
import { getHeapSpaceStatistics } from "node:v8";
import { describe, it } from "node:test";
import { releaseStartupMemory } from "../../src/cli/startup-memory.ts";

const youngBytes = () => getHeapSpaceStatistics().find((space) => space.space_name === "new_space")!.physical_space_size;

describe("releaseStartupMemory", () => {
  it("returns the young generation start-up grew", () => {
    // Start-up's shape: many objects that survive a few scavenges, then all become garbage.
    let kept: object[] = [];
    for (let round = 0; round < 40; round++) {
      kept = kept.slice(-50_000);
      for (let i = 0; i < 50_000; i++) kept.push({ round, i, text: `entry ${i}` });
    }
    kept = [];
    const grown = youngBytes();
    releaseStartupMemory();
    assert.ok(youngBytes() < grown, `young generation ${youngBytes()} bytes after, ${grown} before`);
  });
});
