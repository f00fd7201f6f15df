// Who the principal is, by source: a SAN mapping, the leaf's CN, or the asserted user
// (the header, or a certificate mapping), and nobody when none is named.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Certificate } from "../../src/pki/certificate/certificate.ts";
import { choosePrincipal, principalSource, type PrincipalSources } from "../../src/principal/choice.ts";
import { compileSanMappings } from "../../src/principal/san-mapping.ts";
import { decoded, newPki, type TestPki } from "../helpers/pki.ts";

const options = { emailUsername: false };
/** IS 7.1's header semantics: the asserted user is taken from any verified certificate. */
const plain: PrincipalSources = { options, sanMappings: undefined, thumbprintMappings: undefined, headerSemantics: "7.1" };
const is72: PrincipalSources = { ...plain, headerSemantics: "7.2" };

function outcome(result: ReturnType<typeof choosePrincipal>): string {
  return result.ok ? `${result.from}: ${result.principal?.qualifiedUsername ?? "(nobody)"}` : result.reason;
}

describe("choosing the principal", () => {
  let pki: TestPki;
  let john: Certificate;
  before(async () => {
    pki = await newPki();
    john = decoded((await pki.client("SECONDARY/john@acme.com", { emails: ["john.doe@acme.com"] })).der);
  });

  it("takes the CN where the CN check applies, and ignores the header there", () => {
    assert.equal(outcome(choosePrincipal(john, plain, { cnApplies: true, exempt: false, userHeader: "admin" })), "leaf CN: SECONDARY/john@acme.com");
    assert.equal(principalSource(plain, true), "leaf CN");
  });

  it("IS 7.2 (ClientCertificateBasedAuthenticationHandler.canHandle): outside the CN check, no mappings authenticate nobody", () => {
    for (const userHeader of ["ann@tenant.com", undefined]) {
      const result = choosePrincipal(john, is72, { cnApplies: false, exempt: true, userHeader });
      assert.equal(outcome(result), "USER_NOT_MAPPED");
      assert.ok(!result.ok && result.rule === "mappings-disabled" && /header_semantics = "7\.1"/.test(result.message));
    }
    assert.equal(outcome(choosePrincipal(john, is72, { cnApplies: true, exempt: false, userHeader: "admin" })), "leaf CN: SECONDARY/john@acme.com");
    // The CN check off altogether: a call without a user is a plain mTLS check; an asserted user still needs a mapping.
    assert.equal(outcome(choosePrincipal(john, is72, { cnApplies: false, exempt: false, userHeader: undefined })), "asserted user: (nobody)");
    assert.equal(outcome(choosePrincipal(john, is72, { cnApplies: false, exempt: false, userHeader: "ann" })), "USER_NOT_MAPPED");
  });

  it("IS 7.1 semantics: takes the asserted user where the CN check does not apply, or nobody", () => {
    assert.equal(outcome(choosePrincipal(john, plain, { cnApplies: false, exempt: true, userHeader: "ann@tenant.com" })), "asserted user: ann@tenant.com");
    assert.equal(outcome(choosePrincipal(john, plain, { cnApplies: false, exempt: true, userHeader: undefined })), "asserted user: (nobody)");
    assert.equal(outcome(choosePrincipal(john, plain, { cnApplies: false, exempt: true, userHeader: "" })), "asserted user: (nobody)");
    assert.equal(outcome(choosePrincipal(john, plain, { cnApplies: false, exempt: true, userHeader: "/bad" })), "INVALID_USERNAME");
  });

  it("with a certificate mapping, the header user must be allowed for this certificate", () => {
    const mappings = {
      users: [{ trustedIssuer: john.issuer.unorderedKey, thumbprint: "*", allowedUsernames: ["ann"] }],
      systems: [{ trustedIssuer: john.issuer.unorderedKey, thumbprint: john.fingerprint, allowedSystemUser: "svc" }],
    };
    const sources = { ...plain, thumbprintMappings: mappings };
    assert.equal(outcome(choosePrincipal(john, sources, { cnApplies: false, exempt: true, userHeader: "ann" })), "asserted user: ann");
    assert.equal(outcome(choosePrincipal(john, sources, { cnApplies: false, exempt: true, userHeader: "bob" })), "USER_NOT_MAPPED");
    assert.equal(outcome(choosePrincipal(john, sources, { cnApplies: false, exempt: true, userHeader: undefined })), "asserted user: svc");
  });

  it("with a SAN source, always maps the SAN, whatever the CN check and the header", () => {
    const compiled = compileSanMappings("email_san", [{ match: "{user}@acme.com", username: "{user}", tenant: "acme.com" }]);
    assert.ok(compiled.ok);
    const sources = { ...plain, sanMappings: compiled.mappings };
    for (const cnApplies of [true, false]) {
      assert.equal(outcome(choosePrincipal(john, sources, { cnApplies, exempt: !cnApplies, userHeader: "admin" })), "san mapping: john.doe@acme.com");
    }
    const other = compileSanMappings("email_san", [{ match: "{user}@other.com", username: "{user}" }]);
    assert.ok(other.ok);
    assert.equal(
      outcome(choosePrincipal(john, { ...plain, sanMappings: other.mappings }, { cnApplies: true, exempt: false, userHeader: undefined })),
      "NO_PRINCIPAL_MAPPING",
    );
  });
});
