import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { REASONS } from "../../src/reason.ts";
import { createValidator } from "../../src/validator/validator.ts";
import { buildAccessScenarios } from "../helpers/access-scenarios.ts";
import { AT } from "../helpers/pki.ts";
import { buildScenarios, settingsFor, type Scenario } from "../helpers/scenarios.ts";

describe("validator", async () => {
  const { pki, scenarios } = await buildScenarios();
  let validator: ReturnType<typeof createValidator>;
  before(() => {
    validator = createValidator(settingsFor(pki));
  });

  it("has a scenario producing every reason code (with the access-control scenarios)", async () => {
    const access = await buildAccessScenarios();
    // These need their own config and fixtures: access-control.test.ts (USER_NOT_MAPPED)
    // pki/revocation.test.ts (REVOKED, REVOCATION_UNKNOWN), pki/name-constraints.test.ts, pki/policy.test.ts and pki/adversarial.test.ts produce them.
    // forwarded/proxy-request.test.ts: INVALID_PROXY_HEADER (a proxy's request, read before the validator).
    // spiffe.test.ts: INVALID_SVID, TRUST_DOMAIN_MISMATCH, NO_PRINCIPAL_MAPPING, PRINCIPAL_NOT_ALLOWED; pki/profile.test.ts: NONCONFORMING_CERTIFICATE (strict).
    const elsewhere = [
      "NONCONFORMING_CERTIFICATE",
      "USER_NOT_MAPPED",
      "REVOKED",
      "REVOCATION_UNKNOWN",
      "NAME_CONSTRAINT_VIOLATION",
      "POLICY_INVALID",
      "CERTIFICATE_TOO_LARGE",
      "INVALID_SVID",
      "TRUST_DOMAIN_MISMATCH",
      "NO_PRINCIPAL_MAPPING",
      "PRINCIPAL_NOT_ALLOWED",
      "INVALID_PROXY_HEADER",
    ];
    const produced = new Set([...scenarios.map((s: Scenario) => s.expect), ...access.scenarios.map((s) => s.expect), ...elsewhere]);
    assert.deepEqual(
      [...REASONS].filter((reason) => !produced.has(reason)),
      [],
    );
  });

  for (const scenario of scenarios) {
    it(`${scenario.name} -> ${scenario.expect}`, () => {
      const decision = validator.validate({ chain: scenario.chain, context: scenario.context, method: "GET", userHeader: scenario.userHeader }, AT);
      assert.equal(decision.reason, scenario.expect, decision.message);
      assert.equal(decision.allowed, scenario.expect === "OK");
      assert.equal(decision.httpStatus === 200, decision.allowed);
      if (scenario.exempt !== undefined) assert.equal(decision.exempt, scenario.exempt);
      if (scenario.qualifiedUsername !== undefined) assert.equal(decision.identity?.principal?.qualifiedUsername ?? "", scenario.qualifiedUsername);
      assert.deepEqual(
        decision.warnings.map((w) => `${w.rule}@${w.certIndex}`),
        scenario.warns ?? [],
      );
    });
  }

  it("answers the same decision from its certificate cache on a repeated chain", () => {
    const first = scenarios[0]!;
    const a = validator.validate({ chain: first.chain, context: first.context, method: "GET" }, AT);
    const b = validator.validate({ chain: first.chain, context: first.context, method: "GET" }, AT);
    assert.deepEqual(a, b);
  });

  it("ignores the user header where the CN check applies", () => {
    const first = scenarios[0]!;
    const decision = validator.validate({ chain: first.chain, context: "/api/x", method: "GET", userHeader: "admin" }, AT);
    assert.equal(decision.identity?.principal?.qualifiedUsername, "SECONDARY/john@tenant.com");
  });

  it("with intermediate validation off, verifies the chain; an asserted user needs a mapping (IS 7.2) unless header_semantics is 7.1", () => {
    const cnOff = { ...settingsFor(pki), intermediateCertValidation: { enable: false, certCns: [], exemptContexts: [] } };
    const mapped = createValidator(cnOff);
    const unmapped = createValidator({ ...cnOff, thumbprintMappings: undefined });
    const is71 = createValidator({ ...cnOff, thumbprintMappings: undefined, headerSemantics: "7.1" });
    const rogueChain = scenarios.find((s) => s.expect === "INTERMEDIATE_CN_NOT_ALLOWED")!.chain;
    const ask = (validator: typeof mapped, userHeader?: string) => validator.validate({ chain: rogueChain, context: "/api", method: "GET", userHeader }, AT);
    assert.equal(ask(mapped, "ann@acme.com").identity?.principal?.qualifiedUsername, "ann@acme.com");
    assert.equal(ask(mapped, "bob").reason, "USER_NOT_MAPPED");
    assert.equal(ask(unmapped, "bob").reason, "USER_NOT_MAPPED");
    assert.equal(ask(is71, "bob").identity?.principal?.username, "bob");
    // Without a user, the CN check off is a plain mTLS check: an authenticated client, no principal.
    for (const validator of [mapped, unmapped, is71]) {
      assert.equal(ask(validator).reason, "OK");
      assert.equal(ask(validator).identity?.principal, undefined);
    }
    assert.equal(
      mapped.validate({ chain: scenarios.find((s) => s.expect === "PATH_NOT_FOUND")!.chain, context: "/", method: "GET" }, AT).reason,
      "PATH_NOT_FOUND",
    );
  });
});
