import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { LruCache } from "../src/lru-cache.ts";

describe("LruCache", () => {
  it("evicts the least recently used entry; a hit in the older half moves the entry up", () => {
    const cache = new LruCache<string, number>(4);
    for (const [i, key] of ["a", "b", "c", "d"].entries()) cache.set(key, i);
    assert.equal(cache.get("a"), 0); // "a" is in the older half: moved to the young end
    cache.set("e", 4);
    assert.equal(cache.get("b"), undefined, "b was least recently used");
    assert.deepEqual(
      ["a", "c", "d", "e"].map((key) => cache.get(key)),
      [0, 2, 3, 4],
    );
  });

  it("stays bounded, keeps what was just set, and never returns a value for a key it was not given, under any churn", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 })), { maxLength: 400 }),
        (capacity, operations) => {
          const cache = new LruCache<number, number>(capacity);
          for (const [isSet, key] of operations) {
            if (isSet) {
              cache.set(key, key * 10);
              assert.equal(cache.get(key), key * 10);
            } else {
              const value = cache.get(key);
              assert.ok(value === undefined || value === key * 10);
            }
            assert.ok(cache.size <= capacity);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
