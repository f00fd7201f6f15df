// A decision under the API's field names, as the gRPC adapter and `certgate verify` print it.
import assert from "node:assert/strict";
import { it } from "node:test";
import { decision } from "../../src/validator/decision.ts";
import { decisionView } from "../../src/validator/decision-view.ts";

it("names every field as ValidateResponse does, with null for no principal and no rule", () => {
  const refused = decision(undefined, { ok: false, reason: "PATH_NOT_FOUND", message: "no path", certIndex: 0 });
  assert.deepEqual(decisionView(refused), {
    allowed: false,
    reason: "PATH_NOT_FOUND",
    message: "no path",
    http_status: 401,
    exempt: false,
    cert_index: 0,
    principal: null,
    matched_rule: null,
    required_scopes: [],
    warnings: [],
  });
});

it("fills the principal from the identity and the rule from the route, and lists warnings", () => {
  const notAfter = new Date("2027-01-01T00:00:00Z");
  const identity = {
    principal: { username: "john", userStoreDomain: "SECONDARY", tenantDomain: "acme.com", qualifiedUsername: "SECONDARY/john@acme.com" },
    subject: "CN=SECONDARY/john@acme.com",
    issuer: "CN=ca",
    serialNumber: "01",
    fingerprint: "ab",
    notAfter,
    spiffeId: undefined,
  };
  const rule = {
    context: "/api/.*",
    httpMethod: "get",
    methods: ["GET"],
    secure: true,
    permissions: [],
    scopes: ["read"],
    allowedAuthHandlers: ["all"],
    crossTenant: false,
    crossAccessAllowedTenants: [],
    trustDomains: [],
    principals: [],
  };
  const route = { ok: true as const, exempt: false, exemptBy: undefined, path: "/api/x", segments: ["api", "x"], match: { rule, index: 2 } };
  const warning = {
    rule: "authority-key-identifier-missing",
    section: "4.2.1.1",
    certIndex: 0,
    subject: "CN=x",
    issuer: "CN=ca",
    fingerprint: "ab",
    detail: "d",
    fix: "f",
  };
  const view = decisionView(decision(route, { ok: true, message: "chain verified" }, identity, [warning]));
  assert.equal(view.http_status, 200);
  assert.deepEqual(view.principal, {
    username: "john",
    user_store_domain: "SECONDARY",
    tenant_domain: "acme.com",
    qualified_username: "SECONDARY/john@acme.com",
    subject: "CN=SECONDARY/john@acme.com",
    issuer: "CN=ca",
    serial_number: "01",
    sha256_fingerprint: "ab",
    not_after: notAfter,
    spiffe_id: "",
  });
  assert.deepEqual(view.matched_rule, { context: "/api/.*", http_method: "get", index: 2 });
  assert.deepEqual(view.required_scopes, ["read"]);
  assert.deepEqual(view.warnings, [{ rule: "authority-key-identifier-missing", section: "4.2.1.1", cert_index: 0, subject: "CN=x", detail: "d" }]);
});
