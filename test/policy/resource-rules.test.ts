import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkGrants, staticGrantSource } from "../../src/policy/grants.ts";
import { compileResourceRules, contextPattern, invalidContext, type ResourceRule } from "../../src/policy/resource-rules.ts";
import { parseDistinguishedName } from "../../src/pki/certificate/name.ts";

function rule(context: string, methods = ["ALL"]): ResourceRule {
  return {
    context,
    httpMethod: methods.join(","),
    methods,
    secure: true,
    permissions: [],
    scopes: [],
    allowedAuthHandlers: ["all"],
    crossTenant: false,
    crossAccessAllowedTenants: [],
    trustDomains: [],
    principals: [],
  };
}

describe("compileResourceRules", () => {
  it("matches the whole path, case-insensitively, first rule in file order, per method", () => {
    const rules = compileResourceRules([rule("(.*)/scim2/Users(.*)", ["POST"]), rule("/api/(.*)"), rule("(.*)/scim2/(.*)")], "deny");
    assert.equal(rules.match("/t/a.com/SCIM2/users", "post")?.index, 0);
    assert.equal(rules.match("/t/a.com/scim2/Users", "GET")?.index, 2);
    assert.equal(rules.match("/x/api/y", "GET"), undefined, "full match, not a search");
    assert.equal(rules.match("/api/scim2/x", "PATCH")?.index, 1);
  });

  it("keeps the user's own capturing groups from confusing which rule matched", () => {
    const rules = compileResourceRules([rule("/(a)(b)(c)"), rule("/(x)|/(y)z"), rule("/(.*)")], "deny");
    assert.equal(rules.match("/abc", "GET")?.index, 0);
    assert.equal(rules.match("/yz", "GET")?.index, 1);
    assert.equal(rules.match("/q", "GET")?.index, 2);
  });

  it("reads a trailing /* as the prefix and anything below", () => {
    assert.equal(contextPattern("/api/identity/*"), "/api/identity(?:/.*)?");
    const rules = compileResourceRules([rule("/api/identity/*")], "deny");
    for (const path of ["/api/identity", "/api/identity/", "/api/identity/a/b"]) assert.equal(rules.match(path, "GET")?.index, 0, path);
    assert.equal(rules.match("/api/identityx", "GET"), undefined);
  });

  it("matches nothing when no rule covers the method", () => {
    const rules = compileResourceRules([rule("/(.*)", ["GET"])], "deny");
    assert.equal(rules.match("/a", "DELETE"), undefined);
    assert.equal(compileResourceRules([], "deny").enabled, false);
  });

  it("names invalid regular expressions", () => {
    assert.notEqual(invalidContext("(.*/scim2"), undefined);
    assert.equal(invalidContext("(.*)/scim2(.*)"), undefined);
  });

  it("finds the last of 1000 rules", () => {
    const many = Array.from({ length: 1000 }, (_, i) => rule(`(.*)/service-${i}/(.*)`));
    const rules = compileResourceRules(many, "deny");
    assert.equal(rules.match("/t/a/service-999/x", "GET")?.index, 999);
  });
});

describe("grants", () => {
  const source = staticGrantSource(
    [
      { user: "SECONDARY/john@tenant.com", permissions: ["/permission/admin/manage"], scopes: ["s1"] },
      { role: "ops", permissions: ["/permission/admin/login"], scopes: ["s2"] },
    ],
    [{ name: "ops", users: ["SECONDARY/john@tenant.com", "ann"] }],
  );

  const cases: { name: string; user: string | undefined; permissions: string[]; scopes: string[]; ok: boolean }[] = [
    {
      name: "a permission below a granted one",
      user: "SECONDARY/john@tenant.com",
      permissions: ["/permission/admin/manage/identity/usermgt/create"],
      scopes: [],
      ok: true,
    },
    { name: "a sibling permission", user: "SECONDARY/john@tenant.com", permissions: ["/permission/admin/managex"], scopes: [], ok: false },
    { name: "a role's permission and scope", user: "ann", permissions: ["/permission/admin/login"], scopes: ["s2"], ok: true },
    { name: "a scope held by someone else", user: "ann", permissions: [], scopes: ["s1"], ok: false },
    { name: "every permission is required", user: "ann", permissions: ["/permission/admin/login", "/permission/admin/manage"], scopes: [], ok: false },
    { name: "the permission none", user: "nobody", permissions: ["none"], scopes: [], ok: true },
    { name: "a client with no user", user: undefined, permissions: ["/permission/admin/login"], scopes: [], ok: false },
  ];
  for (const { name, user, permissions, scopes, ok } of cases) {
    it(`${name}: ${ok ? "granted" : "ACCESS_DENIED"}`, () => {
      const failure = checkGrants({ permissions, scopes }, user, source);
      assert.equal(failure === undefined, ok, failure?.message);
      if (failure !== undefined) assert.equal(failure.reason, "ACCESS_DENIED");
    });
  }
});

describe("parseDistinguishedName", () => {
  it("gives the same unordered key for any RDN order, case and spacing", () => {
    const a = parseDistinguishedName("CN=certgate-dev-intermediate,O=certgate");
    const b = parseDistinguishedName("o=CertGate , cn=certgate-dev-intermediate");
    assert.ok(typeof a !== "string" && typeof b !== "string");
    assert.equal(a.unorderedKey, b.unorderedKey);
    assert.notEqual(a.key, b.key);
  });

  it("unescapes RFC 4514 escapes and refuses what is not type=value", () => {
    const escaped = parseDistinguishedName("CN=a\\,b,O=x");
    const hex = parseDistinguishedName("CN=a\\2Cb,O=x");
    assert.ok(typeof escaped !== "string" && typeof hex !== "string");
    assert.equal(escaped.key, hex.key);
    assert.equal(typeof parseDistinguishedName("just text"), "string");
    assert.equal(typeof parseDistinguishedName("XYZ=1"), "string");
  });
});
