// Access once the client is known: the matched rule's principals, its tenant and its grants, in that order.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { authorize } from "../../src/policy/authorize.ts";
import { staticGrantSource } from "../../src/policy/grants.ts";
import { compilePrincipalPatterns } from "../../src/policy/principal-patterns.ts";
import type { ResourceRule } from "../../src/policy/resource-rules.ts";
import { resourceRule } from "../helpers/resource-rule.ts";
import { principalFromName } from "../../src/principal/principal.ts";

const rule = (extra: Partial<ResourceRule> = {}) => resourceRule("/.*", extra);

const principal = (name: string) => {
  const result = principalFromName(name, { emailUsername: false });
  assert.ok(result.ok);
  return result.principal;
};

describe("authorize", () => {
  const grants = staticGrantSource([{ user: "ann@acme.com", permissions: ["/permission/admin"], scopes: [] }], []);
  const check = (who: string | undefined, matched: ResourceRule | undefined, segments: string[] = [], superTenantPaths = true) =>
    authorize(
      { principal: who === undefined ? undefined : principal(who), spiffeId: undefined },
      {
        match: matched === undefined ? undefined : { rule: matched, index: 0 },
        admits: matched === undefined ? undefined : compilePrincipalPatterns(matched.trustDomains, matched.principals),
        segments,
        grants,
        superTenantPaths,
      },
    )?.reason ?? "OK";

  it("allows everyone authenticated when no rule matched", () => assert.equal(check(undefined, undefined), "OK"));
  it("refuses a principal the rule does not name", () => assert.equal(check("bob@acme.com", rule({ principals: ["ann@*"] })), "PRINCIPAL_NOT_ALLOWED"));
  it("refuses another tenant's user under /t/<tenant>/ unless the rule allows it", () => {
    assert.equal(check("ann@acme.com", rule(), ["t", "other.com", "api"]), "CROSS_TENANT_DENIED");
    assert.equal(check("ann@acme.com", rule({ crossTenant: true }), ["t", "other.com", "api"]), "OK");
    assert.equal(check("ann@acme.com", rule(), ["t", "acme.com", "api"]), "OK");
  });
  it("holds a path without /t/ to be carbon.super's, as WSO2's AuthorizationValve (Utils.getTenantDomainFromURLMapping) does", () => {
    assert.equal(check("ann@acme.com", rule(), ["api", "users"]), "CROSS_TENANT_DENIED");
    assert.equal(check("ann", rule(), ["api", "users"]), "OK");
    assert.equal(check("ann@acme.com", rule({ crossTenant: true, crossAccessAllowedTenants: ["acme.com"] }), ["api"]), "OK");
    // A client with no user belongs to no tenant: held to the tenants paths name, not to carbon.super's.
    assert.equal(check(undefined, rule(), ["api"]), "OK");
    assert.equal(check(undefined, rule(), ["t", "acme.com", "api"]), "CROSS_TENANT_DENIED");
    // A SAN-mapped principal's tenant is certgate's label: only paths that name a tenant are checked.
    assert.equal(check("ann@acme.com", rule(), ["api"], false), "OK");
    assert.equal(check("ann@acme.com", rule(), ["t", "other.com"], false), "CROSS_TENANT_DENIED");
  });
  it("reads the tenant after the first /t/ anywhere in the path", () => {
    assert.equal(check("ann@acme.com", rule(), ["api", "t", "acme.com", "x"]), "OK");
    assert.equal(check("ann", rule(), ["api", "t", "acme.com", "x"]), "CROSS_TENANT_DENIED");
  });
  it("needs the permissions the rule asks for", () => {
    const tenant = ["t", "acme.com", "api"];
    assert.equal(check("ann@acme.com", rule({ permissions: ["/permission/admin/manage"] }), tenant), "OK");
    assert.equal(check("bob@acme.com", rule({ permissions: ["/permission/admin/manage"] }), tenant), "ACCESS_DENIED");
    assert.equal(check(undefined, rule({ permissions: ["/permission/admin/manage"] })), "ACCESS_DENIED");
  });
});
