import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normaliseRequestPath } from "../../src/policy/request-path.ts";

describe("normaliseRequestPath", () => {
  const normalised: [input: string, expected: string][] = [
    ["", "/"],
    ["/", "/"],
    ["/scim2/Users", "/scim2/Users"],
    ["/scim2/Users?filter=x#frag", "/scim2/Users"],
    ["/api/server/v1/applications?x=scim2", "/api/server/v1/applications"],
    ["/scim2/../api/server/v1/applications", "/api/server/v1/applications"],
    ["/a/./b/../c/", "/a/c/"],
    ["/../../etc", "/etc"],
    ["//scim2///Users", "/scim2/Users"],
    ["/%73cim2/Users", "/scim2/Users"],
    ["/a%3Fb", "/a%3Fb"],
    ["/caf%C3%A9", "/café"],
  ];
  for (const [input, expected] of normalised) {
    it(`${JSON.stringify(input)} -> ${expected}`, () => {
      const result = normaliseRequestPath(input);
      assert.ok(result.ok, result.ok ? "" : result.message);
      assert.equal(result.path, expected);
    });
  }

  const refused: [name: string, input: string][] = [
    ["a relative path", "scim2/Users"],
    ["double encoding", "/scim2%252F..%252Fapi"],
    ["an encoded slash", "/api%2F..%2Fscim2/Users"],
    ["an encoded dot segment", "/api/%2e%2e/scim2"],
    ["a NUL", "/scim2%00/Users"],
    ["a backslash", "/scim2\\..\\api"],
    ["an encoded backslash", "/scim2%5C..%5Capi"],
    ["a malformed escape", "/scim2%G1"],
    ["an escape that is not UTF-8", "/%C3%28"],
    ["a control character", "/a\u0001b"],
  ];
  for (const [name, input] of refused) {
    it(`refuses ${name} (INVALID_REQUEST_PATH)`, () => {
      const result = normaliseRequestPath(input);
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(result.reason, "INVALID_REQUEST_PATH");
    });
  }

  it("is idempotent and never yields a dot segment", () => {
    for (const [input] of normalised) {
      const once = normaliseRequestPath(input);
      assert.ok(once.ok);
      const twice = normaliseRequestPath(once.path);
      assert.ok(twice.ok);
      assert.equal(twice.path, once.path);
      assert.deepEqual(twice.segments, once.segments);
      assert.ok(!once.segments.includes("..") && !once.segments.includes("."));
    }
  });
});
