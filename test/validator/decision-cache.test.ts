import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { DecisionCache, chainKey } from "../../src/validator/decision-cache.ts";
import { createValidator, type ValidatorSettings } from "../../src/validator/validator.ts";
import { AT, newPki, type TestPki } from "../helpers/pki.ts";
import { settingsFor } from "../helpers/scenarios.ts";

describe("DecisionCache", () => {
  it("serves an entry only inside its window (kept to the second, rounded inwards), and never past the TTL", () => {
    const cache = new DecisionCache<string>(10, 60);
    cache.set("k", "v", 1_000, { from: 500, until: 1_000_000 });
    assert.equal(cache.get("k", 1_000), "v");
    assert.equal(cache.get("k", 400), undefined, "before the window");
    assert.equal(cache.get("k", 59_999), "v");
    assert.equal(cache.get("k", 61_001), undefined, "past the TTL");
    cache.set("short", "v", 1_000, { from: 0, until: 2_000 });
    assert.equal(cache.get("short", 2_001), undefined, "past the earliest notAfter");
  });

  it("is bounded by entry count, evicting the least recently used", () => {
    const cache = new DecisionCache<number>(2, 60);
    const window = { from: 0, until: Number.MAX_SAFE_INTEGER };
    cache.set("a", 1, 0, window);
    cache.set("b", 2, 0, window);
    cache.get("a", 0);
    cache.set("c", 3, 0, window);
    assert.equal(cache.size, 2);
    assert.equal(cache.get("b", 0), undefined);
    assert.equal(cache.get("a", 0), 1);
  });

  it("keys chains so that concatenation cannot collide", () => {
    assert.notEqual(chainKey([new Uint8Array([1, 2]), new Uint8Array([3])]), chainKey([new Uint8Array([1]), new Uint8Array([2, 3])]));
  });
});

describe("validator decision cache", () => {
  let pki: TestPki;
  let settings: ValidatorSettings;
  before(async () => {
    pki = await newPki();
    settings = settingsFor(pki);
  });

  function counting(extra: Partial<ValidatorSettings> = {}) {
    const lookups: string[] = [];
    const validator = createValidator({ ...settings, ...extra, onCacheLookup: (cache, hit) => cache === "decision" && lookups.push(hit ? "hit" : "miss") });
    return { validator, lookups };
  }

  it("answers a repeated chain from the cache, with the same decision", async () => {
    const { validator, lookups } = counting();
    const chain = { pem: (await pki.client("alice")).pem + pki.intermediate.pem };
    const first = validator.validate({ chain, context: "/a", method: "GET" }, AT);
    const second = validator.validate({ chain, context: "/b", method: "GET" }, AT);
    assert.deepEqual(lookups, ["miss", "hit"]);
    assert.deepEqual(second, first);
  });

  it("keeps exempt and non-exempt paths, and different asserted users, apart", async () => {
    const { validator } = counting();
    const chain = { pem: (await pki.client("svc", {}, pki.rogue)).pem + pki.rogue.pem };
    // settingsFor maps the rogue intermediate's certificates to ann@acme.com only (IS 7.2).
    const asserting = (userHeader: string) => validator.validate({ chain, context: "/scim2/Users", method: "GET", userHeader }, AT);
    assert.equal(asserting("ann@acme.com").identity?.principal?.username, "ann");
    assert.equal(asserting("bob@acme.com").reason, "USER_NOT_MAPPED");
    assert.equal(asserting("ann@acme.com").reason, "OK");
    assert.equal(validator.validate({ chain, context: "/api", method: "GET", userHeader: "ann@acme.com" }, AT).reason, "INTERMEDIATE_CN_NOT_ALLOWED");
  });

  it("stops serving an allow once the leaf expires", async () => {
    const { validator } = counting();
    const chain = { pem: (await pki.client("short", { notAfter: new Date("2026-06-01T00:00:10Z") })).pem + pki.intermediate.pem };
    assert.equal(validator.validate({ chain, context: "/", method: "GET" }, AT).reason, "OK");
    assert.equal(validator.validate({ chain, context: "/", method: "GET" }, new Date("2026-06-01T00:00:11Z")).reason, "CERTIFICATE_EXPIRED");
  });

  it("does not cache malformed input", () => {
    const { validator, lookups } = counting();
    const chain = { der: [new Uint8Array([0x30, 0x03, 1, 2, 3])] };
    validator.validate({ chain, context: "/", method: "GET" }, AT);
    validator.validate({ chain, context: "/", method: "GET" }, AT);
    assert.deepEqual(lookups, ["miss", "miss"]);
  });

  it("can be turned off with max_entries = 0", async () => {
    const { validator, lookups } = counting({ cache: { maxEntries: 0, ttlSeconds: 60 } });
    const chain = { pem: (await pki.client("alice")).pem + pki.intermediate.pem };
    validator.validate({ chain, context: "/", method: "GET" }, AT);
    assert.equal(validator.validate({ chain, context: "/", method: "GET" }, AT).reason, "OK");
    assert.deepEqual(lookups, []);
  });
});
