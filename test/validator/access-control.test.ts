import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { createValidator } from "../../src/validator/validator.ts";
import { buildAccessScenarios, accessSettings } from "../helpers/access-scenarios.ts";
import { AT } from "../helpers/pki.ts";

describe("resource access control (validator)", async () => {
  const { pki, scenarios } = await buildAccessScenarios();
  const validator = createValidator(accessSettings(pki));

  for (const scenario of scenarios) {
    it(`${scenario.name} -> ${scenario.expect}`, () => {
      const decision = validator.validate({ chain: scenario.chain, context: scenario.context, method: scenario.method, userHeader: scenario.userHeader }, AT);
      assert.equal(decision.reason, scenario.expect, decision.message);
      if (scenario.qualifiedUsername !== undefined) assert.equal(decision.identity?.principal?.qualifiedUsername ?? "", scenario.qualifiedUsername);
      if (scenario.matchedRule !== undefined) assert.equal(decision.matchedRule?.index, scenario.matchedRule);
    });
  }

  it("reports the matched rule's context, method and required scopes", () => {
    const scenario = scenarios.find((s) => s.name.startsWith("permission held"))!;
    const decision = validator.validate({ chain: scenario.chain, context: scenario.context, method: "POST" }, AT);
    assert.deepEqual(decision.matchedRule, { context: "(.*)/scim2/Users(.*)", httpMethod: "post", index: 1 });
    assert.deepEqual(decision.requiredScopes, ["internal_user_mgt_create"]);
  });

  it("with default_access = allow, lets unmatched paths through without a certificate", () => {
    const open = createValidator(accessSettings(pki, "", "allow"));
    const decision = open.validate({ chain: { der: [] }, context: "/api/other", method: "GET" }, AT);
    assert.equal(decision.reason, "OK");
    assert.equal(decision.matchedRule, undefined);
  });

  it("answers a cross-tenant refusal 401, and 403 under /o/{org}/ (WSO2's AuthorizationValve)", () => {
    const john = scenarios.find((s) => s.name === "own tenant is not cross-tenant")!.chain;
    const ask = (context: string) => validator.validate({ chain: john, context, method: "GET" }, AT);
    assert.deepEqual([ask("/t/other.com/api/users/v1/me").reason, ask("/t/other.com/api/users/v1/me").httpStatus], ["CROSS_TENANT_DENIED", 401]);
    assert.deepEqual([ask("/o/other-org/api/users/v1/me").reason, ask("/o/other-org/api/users/v1/me").httpStatus], ["CROSS_TENANT_DENIED", 403]);
  });

  it("matches the first rule in file order", () => {
    const decision = validator.validate({ chain: scenarios[0]!.chain, context: "/api/public/scim2/Users", method: "POST" }, AT);
    assert.equal(decision.matchedRule?.index, 0);
  });
});

describe("certificate-to-user mappings (validator)", async () => {
  const { pki } = await buildAccessScenarios();
  const svc = await pki.client("svc-cert", {}, pki.rogue);
  const other = await pki.client("other-cert", {}, pki.rogue);
  const thumbprint = (der: Uint8Array) => createHash("sha256").update(der).digest("hex").toUpperCase().match(/../g)!.join(":");
  const mappings = `
[client_certificate_based_authentication]
enable = true
[[client_certificate_based_authentication.user_thumbprint_mapping]]
trusted_issuer = "O=certgate, CN=rogue-intermediate"
cert_thumbprint = "*"
allowed_username = ["*"]
[[client_certificate_based_authentication.user_thumbprint_mapping]]
trusted_issuer = "CN=rogue-intermediate,O=certgate"
cert_thumbprint = "${thumbprint(svc.der)}"
allowed_username = ["Alice", "SECONDARY/bob@tenant.com"]
[[client_certificate_based_authentication.system_thumbprint_mapping]]
trusted_issuer = "cn=ROGUE-intermediate,o=certgate"
cert_thumbprint = "${thumbprint(svc.der).replace(/:/g, "").toLowerCase()}"
allowed_system_user = "svc-batch"
`;
  const validator = createValidator(accessSettings(pki, mappings));
  const check = (cert: { pem: string }, userHeader?: string) =>
    validator.validate({ chain: { pem: cert.pem + pki.rogue.pem }, context: "/scim2/Me", method: "GET", userHeader }, AT);

  it("lets an exactly mapped certificate assert a listed user, case-insensitively, over the * mapping", () => {
    const decision = check(svc, "ALICE");
    assert.equal(decision.reason, "ACCESS_DENIED"); // mapped, but ALICE holds no /permission/admin/login
    assert.equal(check(svc, "SECONDARY/bob@tenant.com").identity?.principal?.qualifiedUsername, "SECONDARY/bob@tenant.com");
  });

  it("refuses a user the exact mapping does not list, even though a * mapping would allow it", () => {
    assert.equal(check(svc, "mallory").reason, "USER_NOT_MAPPED");
  });

  it("uses the * thumbprint mapping for other certificates of the issuer", () => {
    assert.equal(check(other, "ann").reason, "OK");
    // ann@acme.com is mapped too, but /scim2/Me is carbon.super's: another tenant's user is refused there (401, as WSO2).
    const elsewhere = check(other, "ann@acme.com");
    assert.equal(elsewhere.reason, "CROSS_TENANT_DENIED");
    assert.equal(elsewhere.httpStatus, 401);
  });

  it("names the system user when no user is asserted, and refuses certificates without a system mapping", () => {
    const decision = check(svc);
    assert.equal(decision.identity?.principal?.username, "svc-batch");
    assert.equal(check(other).reason, "USER_NOT_MAPPED");
  });

  it("refuses certificates of an issuer no mapping trusts", async () => {
    const stranger = await pki.client("stranger");
    const decision = validator.validate(
      { chain: { pem: stranger.pem + pki.intermediate.pem }, context: "/scim2/Me", method: "GET", userHeader: "ann@acme.com" },
      AT,
    );
    assert.equal(decision.reason, "USER_NOT_MAPPED");
  });
});
