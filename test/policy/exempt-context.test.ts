import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileExemptContexts, invalidExemptContext } from "../../src/policy/exempt-context.ts";
import { normaliseRequestPath } from "../../src/policy/request-path.ts";

function exempted(entries: string[], rawPath: string): string | undefined {
  const path = normaliseRequestPath(rawPath);
  assert.ok(path.ok);
  return compileExemptContexts(entries).match(path.segments);
}

describe("exempt contexts", () => {
  const cases: { entries: string[]; path: string; expect: string | undefined }[] = [
    // WSO2's own examples keep working with bare entries.
    { entries: ["scim2"], path: "/scim2/Users", expect: "scim2" },
    { entries: ["scim2"], path: "/t/wso2.com/scim2/Users", expect: "scim2" },
    { entries: ["dcr"], path: "/api/identity/oauth2/dcr/v1.1/register", expect: "dcr" },
    // ... and the substring loopholes are closed.
    { entries: ["scim2"], path: "/api/scim2x/Users", expect: undefined },
    { entries: ["dcr"], path: "/api/identity/dcr-admin", expect: undefined },
    { entries: ["scim2"], path: "/api/server/v1/applications?x=scim2", expect: undefined },
    { entries: ["scim2"], path: "/scim2/../api/server/v1/applications", expect: undefined },
    // Prefix entries match on segment boundaries from the root only.
    { entries: ["/scim2"], path: "/scim2", expect: "/scim2" },
    { entries: ["/scim2"], path: "/scim2/Users", expect: "/scim2" },
    { entries: ["/scim2"], path: "/scim2x", expect: undefined },
    { entries: ["/scim2"], path: "/t/wso2.com/scim2/Users", expect: undefined },
    { entries: ["/api/identity/oauth2/dcr"], path: "/api/identity/oauth2/dcr/v1.1/register", expect: "/api/identity/oauth2/dcr" },
    { entries: ["/api/identity/oauth2/dcr"], path: "/api/identity/oauth2", expect: undefined },
    // A bare multi-segment entry matches the sequence anywhere.
    { entries: ["oauth2/dcr"], path: "/t/a.com/api/identity/oauth2/dcr/v1.1", expect: "oauth2/dcr" },
    { entries: ["oauth2/dcr"], path: "/oauth2/x/dcr", expect: undefined },
    // Case-sensitive, like servlet paths.
    { entries: ["/scim2"], path: "/SCIM2/Users", expect: undefined },
    { entries: [], path: "/scim2", expect: undefined },
  ];
  for (const { entries, path, expect } of cases) {
    it(`${JSON.stringify(entries)} on ${path} -> ${expect ?? "not exempt"}`, () => assert.equal(exempted(entries, path), expect));
  }

  it("reports bare entries so start-up can warn about them", () => {
    assert.deepEqual(compileExemptContexts(["/scim2", "dcr"]).bareEntries, ["dcr"]);
  });

  it("refuses entries that cannot match a normalised path", () => {
    for (const entry of ["", "/", "scim2?x", "/a/../b", "%73cim2", "a\\b"]) assert.notEqual(invalidExemptContext(entry), undefined, entry);
    for (const entry of ["scim2", "/scim2", "oauth2/dcr"]) assert.equal(invalidExemptContext(entry), undefined, entry);
  });
});
