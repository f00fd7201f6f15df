// Hints key on the structured cause: the reason, and the rule where a reason has
// several causes; a reworded message keeps its hint.
import assert from "node:assert/strict";
import { it } from "node:test";
import { fail } from "../../src/reason.ts";
import { hintFor } from "../../src/validator/hints.ts";

const context = { certCns: ["ca-one"], issuer: "CN=other" };

it("chooses by reason and rule, never by message text", () => {
  const cases: [ReturnType<typeof fail>, RegExp][] = [
    [fail("TRUST_DOMAIN_MISMATCH", "anything at all", 0, "trust-domain-not-configured"), /add a \[\[trust_domain\]\]/],
    [fail("TRUST_DOMAIN_MISMATCH", "not configured", 0, "peer-principal-mismatch"), /forward_client_cert_details/],
    [fail("TRUST_DOMAIN_MISMATCH", "proxy names", 0, "outside-trust-domain"), /only under its own trust domain/],
    [fail("INTERMEDIATE_CN_NOT_ALLOWED", "reworded", 1), /issuing CA "CN=other" is not in intermediate_cert_validation\.cert_cns \(ca-one\)/],
    [fail("NONCONFORMING_CERTIFICATE", "reworded"), /profile "rfc5280"/],
  ];
  for (const [failure, hint] of cases) assert.match(hintFor(failure, context) ?? "", hint, `${failure.reason}/${failure.rule}`);
});

it("has no hint for an unknown rule of a reason without a general one", () => {
  assert.equal(hintFor(fail("TRUST_DOMAIN_MISMATCH", "x", 0, "no-such-rule"), context), undefined);
  assert.equal(hintFor(fail("CROSS_TENANT_DENIED", "x"), context), undefined);
});
