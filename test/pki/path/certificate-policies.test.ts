import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { AsnConvert } from "@peculiar/asn1-schema";
import { InhibitAnyPolicy, PolicyConstraints, PolicyMapping, PolicyMappings } from "@peculiar/asn1-x509";
import { Authority } from "../../../src/devpki/ca.ts";
import { CertificatePolicyExtension, Extension } from "../../../src/devpki/x509.ts";
import { verifyPath } from "../../../src/pki/path/build.ts";
import { policyConstraintsExtension } from "../../helpers/extensions.ts";
import { AT, VALID, decoded, trustStoreOf } from "../../helpers/pki.ts";

const P = "1.3.6.1.4.1.99999.1.1";
const Q = "1.3.6.1.4.1.99999.1.2";
const ANY = "2.5.29.32.0";
const int = (n: number) => new Uint8Array([n]).buffer;
const policies = (...ids: string[]) => new CertificatePolicyExtension(ids, false);
const requireExplicit = (n: number) =>
  new Extension("2.5.29.36", true, new Uint8Array(AsnConvert.serialize(new PolicyConstraints({ requireExplicitPolicy: int(n) }))));
const inhibitMapping = (n: number) =>
  new Extension("2.5.29.36", true, new Uint8Array(AsnConvert.serialize(new PolicyConstraints({ inhibitPolicyMapping: int(n) }))));
const inhibitAny = (n: number) => new Extension("2.5.29.54", true, new Uint8Array(AsnConvert.serialize(new InhibitAnyPolicy(int(n)))));
function mapping(issuer: string, subject: string): Extension {
  // PolicyMapping's constructor is mistyped in @peculiar/asn1-x509; set the fields instead.
  const entry = Object.assign(new PolicyMapping(), { issuerDomainPolicy: issuer, subjectDomainPolicy: subject });
  return new Extension("2.5.29.33", true, new Uint8Array(AsnConvert.serialize(new PolicyMappings([entry]))));
}

describe("certificate policies (RFC 5280 6.1)", () => {
  let root: Authority;
  before(async () => {
    root = await Authority.root({ subject: "CN=policy-root, O=certgate", ...VALID });
  });

  async function check(ca: Extension[], leaf: Extension[], required: string[] = []) {
    const intermediate = await root.intermediate({ subject: "CN=policy-ca, O=certgate", ...VALID, extraExtensions: ca });
    const cert = await intermediate.client({ subject: "CN=leaf", ...VALID, extraExtensions: leaf });
    const result = verifyPath([decoded(cert.der), decoded(intermediate.der)], trustStoreOf([root]), {
      at: AT,
      maxChainLength: 8,
      allowSha1: false,
      purpose: "client",
      requiredPolicies: required,
    });
    return result.ok ? "OK" : `${result.reason}@${result.certIndex}`;
  }

  const cases: { name: string; ca: () => Extension[]; leaf: () => Extension[]; required?: string[]; expect: string }[] = [
    { name: "no policies, none required", ca: () => [], leaf: () => [], expect: "OK" },
    { name: "requireExplicitPolicy 0, leaf without policies", ca: () => [policies(P), requireExplicit(0)], leaf: () => [], expect: "POLICY_INVALID@0" },
    { name: "requireExplicitPolicy 0, policy held through the path", ca: () => [policies(P), requireExplicit(0)], leaf: () => [policies(P)], expect: "OK" },
    {
      name: "requireExplicitPolicy 0, leaf with a different policy",
      ca: () => [policies(P), requireExplicit(0)],
      leaf: () => [policies(Q)],
      expect: "POLICY_INVALID@0",
    },
    { name: "required policy held", ca: () => [policies(P)], leaf: () => [policies(P)], required: [P], expect: "OK" },
    { name: "required policy not held", ca: () => [policies(Q)], leaf: () => [policies(Q)], required: [P], expect: "POLICY_INVALID@0" },
    { name: "required policy, anyPolicy throughout", ca: () => [policies(ANY)], leaf: () => [policies(ANY)], required: [P], expect: "OK" },
    { name: "required policy, CA without policies", ca: () => [], leaf: () => [policies(P)], required: [P], expect: "POLICY_INVALID@1" },
    { name: "mapping P to Q, leaf asserts Q, P required", ca: () => [policies(P), mapping(P, Q)], leaf: () => [policies(Q)], required: [P], expect: "OK" },
    // inhibitPolicyMapping binds the certificates after the one carrying it, not its own mappings.
    {
      name: "a CA's own mapping despite its inhibitPolicyMapping 0",
      ca: () => [policies(P), mapping(P, Q), inhibitMapping(0)],
      leaf: () => [policies(Q)],
      required: [P],
      expect: "OK",
    },
    { name: "a CA that maps anyPolicy", ca: () => [policies(P), mapping(ANY, Q)], leaf: () => [policies(Q)], expect: "POLICY_INVALID@1" },
    {
      name: "inhibitAnyPolicy 0 with an explicit policy required, leaf asserts only anyPolicy",
      ca: () => [policies(P), requireExplicit(0), inhibitAny(0)],
      leaf: () => [policies(ANY)],
      expect: "POLICY_INVALID@0",
    },
    { name: "anyPolicy in the leaf allowed without inhibitAnyPolicy", ca: () => [policies(P), requireExplicit(0)], leaf: () => [policies(ANY)], expect: "OK" },
  ];
  it("a mapping below a CA with inhibitPolicyMapping 0 is not applied", async () => {
    const top = await root.intermediate({ subject: "CN=top", ...VALID, extraExtensions: [policies(P), inhibitMapping(0)] });
    const mapper = await top.intermediate({ subject: "CN=mapper", ...VALID, extraExtensions: [policies(P), mapping(P, Q)] });
    const leaf = await mapper.client({ subject: "CN=leaf", ...VALID, extraExtensions: [policies(Q)] });
    const chain = [leaf, mapper, top].map((c) => decoded(c.der));
    const verify = (required: string[]) =>
      verifyPath(chain, trustStoreOf([root]), { at: AT, maxChainLength: 8, allowSha1: false, purpose: "client", requiredPolicies: required });
    const result = verify([P]);
    assert.ok(!result.ok && result.reason === "POLICY_INVALID", JSON.stringify(result));
    const mappable = await root.intermediate({ subject: "CN=top2", ...VALID, extraExtensions: [policies(P)] });
    const mapper2 = await mappable.intermediate({ subject: "CN=mapper2", ...VALID, extraExtensions: [policies(P), mapping(P, Q)] });
    const leaf2 = await mapper2.client({ subject: "CN=leaf", ...VALID, extraExtensions: [policies(Q)] });
    const ok = verifyPath(
      [leaf2, mapper2, mappable].map((c) => decoded(c.der)),
      trustStoreOf([root]),
      { at: AT, maxChainLength: 8, allowSha1: false, purpose: "client", requiredPolicies: [P] },
    );
    assert.ok(ok.ok, JSON.stringify(ok));
  });

  it("RFC 5280 6.1.4 (b)(2): a mapping removed under inhibitPolicyMapping prunes only the levels above it", async () => {
    // PKITS 4.11.4 in miniature: P and Q mapped to R and S, then R mapped again where mapping is
    // inhibited. Deleting R's node must leave the sibling branch Q -> S -> S intact.
    const [R, S] = ["1.3.6.1.4.1.99999.1.3", "1.3.6.1.4.1.99999.1.4"];
    const twoMappings = new Extension(
      "2.5.29.33",
      true,
      new Uint8Array(
        AsnConvert.serialize(
          new PolicyMappings(
            [P, Q].map((issuerDomainPolicy, i) => Object.assign(new PolicyMapping(), { issuerDomainPolicy, subjectDomainPolicy: [R, S][i]! })),
          ),
        ),
      ),
    );
    const top = await root.intermediate({
      subject: "CN=top",
      ...VALID,
      extraExtensions: [policies(P, Q), policyConstraintsExtension({ requireExplicitPolicy: 0, inhibitPolicyMapping: 1 })],
    });
    const mapper = await top.intermediate({ subject: "CN=mapper", ...VALID, extraExtensions: [policies(P, Q), twoMappings] });
    const inhibited = await mapper.intermediate({ subject: "CN=inhibited", ...VALID, extraExtensions: [policies(R, S), mapping(R, P)] });
    const leaf = await inhibited.client({ subject: "CN=leaf", ...VALID, extraExtensions: [policies(S)] });
    const result = verifyPath(
      [leaf, inhibited, mapper, top].map((c) => decoded(c.der)),
      trustStoreOf([root]),
      { at: AT, maxChainLength: 8, allowSha1: false, purpose: "client" },
    );
    assert.ok(result.ok, JSON.stringify(result));
  });

  for (const { name, ca, leaf, required = [], expect } of cases) {
    it(`${name} -> ${expect}`, async () => {
      assert.equal(await check(ca(), leaf(), required), expect);
    });
  }
});
