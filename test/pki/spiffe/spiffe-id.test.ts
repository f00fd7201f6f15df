import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSpiffeId } from "../../../src/pki/spiffe/spiffe-id.ts";

describe("SPIFFE ID (SPIFFE-ID.md section 2)", () => {
  const valid: [string, string, string][] = [
    ["spiffe://example.org", "example.org", ""],
    ["spiffe://example.org/ns/default/sa/web", "example.org", "/ns/default/sa/web"],
    ["spiffe://a-b_c.9/Upper.Case-ok_1", "a-b_c.9", "/Upper.Case-ok_1"],
    ["spiffe://td/.../a..b/.x", "td", "/.../a..b/.x"],
    [`spiffe://${"a".repeat(255)}/x`, "a".repeat(255), "/x"],
  ];
  for (const [text, trustDomain, path] of valid) {
    it(`accepts ${text.slice(0, 60)}`, () => {
      const parsed = parseSpiffeId(text);
      assert.ok(parsed.ok, parsed.ok ? "" : parsed.why);
      assert.deepEqual(parsed.id, { text, trustDomain, path });
    });
  }

  const invalid: [string, RegExp][] = [
    ["https://example.org/x", /does not start with/],
    ["SPIFFE://example.org/x", /does not start with/],
    ["spiffe:/example.org", /does not start with/],
    ["spiffe://", /trust domain is empty/],
    ["spiffe:///path", /trust domain is empty/],
    ["spiffe://Example.org/x", /lower-case/],
    ["spiffe://example.org:8080/x", /no port/],
    ["spiffe://user@example.org/x", /lower-case/],
    ["spiffe://example.org/", /ends with/],
    ["spiffe://example.org/ns/", /ends with/],
    ["spiffe://example.org//x", /empty segment/],
    ["spiffe://example.org/ns/./x", /"\." segment/],
    ["spiffe://example.org/ns/../x", /"\.\." segment/],
    ["spiffe://example.org/ns/a%2Fb", /may hold only/],
    ["spiffe://example.org/ns?x=1", /may hold only/],
    ["spiffe://example.org/ns#frag", /may hold only/],
    ["spiffe://example.org/n s", /may hold only/],
    ["spiffe://example.org/ñ", /may hold only/],
    [`spiffe://${"a".repeat(256)}`, /longer than 255/],
    [`spiffe://td/${"a".repeat(2048)}`, /longer than 2048/],
  ];
  for (const [text, why] of invalid) {
    it(`refuses ${text.slice(0, 60)}`, () => {
      const parsed = parseSpiffeId(text);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.why, why);
    });
  }
});
