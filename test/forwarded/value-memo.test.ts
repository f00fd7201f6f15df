// The memo of long header values keys by a sample of the value: a value that shares
// the sample but differs elsewhere must never get the other's result.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LongValueMemo } from "../../src/forwarded/value-memo.ts";

describe("LongValueMemo", () => {
  it("answers a value it holds, and nothing for one that differs only where the key does not look", () => {
    const memo = new LongValueMemo<string>(16);
    const value = "A".repeat(4096);
    memo.set(value, "first");
    assert.equal(memo.get("A".repeat(4096)), "first", "an equal string built anew");
    // Every 64th character is sampled; one between them differs.
    const near = `${"A".repeat(100)}B${"A".repeat(3995)}`;
    assert.equal(near.length, value.length);
    assert.equal(memo.get(near), undefined);
    memo.set(near, "second");
    assert.equal(memo.get(near), "second");
    assert.equal(memo.get(value), undefined, "the two share a key: the newer replaced the older");
  });

  it("keeps short values by themselves", () => {
    const memo = new LongValueMemo<number>(4);
    memo.set("abc", 1);
    memo.set("abd", 2);
    assert.equal(memo.get("abc"), 1);
    assert.equal(memo.get("abd"), 2);
  });
});
