// Access once the client is known: the matched rule's principals, its tenant and its grants, in that order.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { authorize } from "../../src/policy/authorize.ts";
import { staticGrantSource } from "../../src/policy/grants.ts";
import { compilePrincipalPatterns } from "../../src/policy/principal-patterns.ts";
import type { ResourceRule } from "../../src/policy/resource-rules.ts";
import { principalFromName } from "../../src/principal/principal.ts";

function rule(extra: Partial<ResourceRule> = {}): ResourceRule {
  return {
    context: "/.*",
    httpMethod: "all",
    methods: ["ALL"],
    secure: true,
    permissions: [],
    scopes: [],
    allowedAuthHandlers: ["all"],
    crossTenant: false,
    crossAccessAllowedTenants: [],
    trustDomains: [],
    principals: [],
    ...extra,
  };
}

const principal = (name: string) => {
  const result = principalFromName(name, { emailUsername: false });
  assert.ok(result.ok);
  return result.principal;
};

describe("authorize", () => {
  const grants = staticGrantSource([{ user: "ann@acme.com", permissions: ["/permission/admin"], scopes: [] }], []);
  const check = (who: string | undefined, matched: ResourceRule | undefined, segments: string[] = []) =>
    authorize(
      { principal: who === undefined ? undefined : principal(who), spiffeId: undefined },
      {
        match: matched === undefined ? undefined : { rule: matched, index: 0 },
        admits: matched === undefined ? undefined : compilePrincipalPatterns(matched.trustDomains, matched.principals),
        segments,
        grants,
      },
    )?.reason ?? "OK";

  it("allows everyone authenticated when no rule matched", () => assert.equal(check(undefined, undefined), "OK"));
  it("refuses a principal the rule does not name", () => assert.equal(check("bob@acme.com", rule({ principals: ["ann@*"] })), "PRINCIPAL_NOT_ALLOWED"));
  it("refuses another tenant's user under /t/<tenant>/ unless the rule allows it", () => {
    assert.equal(check("ann@acme.com", rule(), ["t", "other.com", "api"]), "CROSS_TENANT_DENIED");
    assert.equal(check("ann@acme.com", rule({ crossTenant: true }), ["t", "other.com", "api"]), "OK");
    assert.equal(check("ann@acme.com", rule(), ["t", "acme.com", "api"]), "OK");
  });
  it("needs the permissions the rule asks for", () => {
    assert.equal(check("ann@acme.com", rule({ permissions: ["/permission/admin/manage"] })), "OK");
    assert.equal(check("bob@acme.com", rule({ permissions: ["/permission/admin/manage"] })), "ACCESS_DENIED");
    assert.equal(check(undefined, rule({ permissions: ["/permission/admin/manage"] })), "ACCESS_DENIED");
  });
});
