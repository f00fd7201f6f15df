import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { AsnConvert } from "@peculiar/asn1-schema";
import { GeneralName, GeneralSubtree, GeneralSubtrees, Name as AsnName, NameConstraints } from "@peculiar/asn1-x509";
import { Authority, type IssueOptions } from "../../../src/devpki/ca.ts";
import { Extension, Name } from "../../../src/devpki/x509.ts";
import { verifyPath } from "../../../src/pki/path/build.ts";
import { AT, VALID, decoded, trustStoreOf } from "../../helpers/pki.ts";

type Form = { dns?: string; email?: string; uri?: string; ip?: string; dn?: string };

function general(form: Form): GeneralName {
  if (form.dns !== undefined) return new GeneralName({ dNSName: form.dns });
  if (form.email !== undefined) return new GeneralName({ rfc822Name: form.email });
  if (form.uri !== undefined) return new GeneralName({ uniformResourceIdentifier: form.uri });
  if (form.ip !== undefined) return new GeneralName({ iPAddress: form.ip });
  return new GeneralName({ directoryName: AsnConvert.parse(new Name(form.dn!).toArrayBuffer(), AsnName) });
}

function constraints(permitted: Form[], excluded: Form[] = []): Extension {
  const subtrees = (forms: Form[]) => (forms.length === 0 ? undefined : new GeneralSubtrees(forms.map((f) => new GeneralSubtree({ base: general(f) }))));
  const value = new NameConstraints({ permittedSubtrees: subtrees(permitted), excludedSubtrees: subtrees(excluded) });
  return new Extension("2.5.29.30", true, new Uint8Array(AsnConvert.serialize(value)));
}

describe("name constraints (RFC 5280 4.2.1.10)", () => {
  let root: Authority;
  before(async () => {
    root = await Authority.root({ subject: "CN=nc-root, O=certgate", ...VALID });
  });

  async function check(permitted: Form[], excluded: Form[], leaf: Partial<IssueOptions>, options: { subject?: string } = {}) {
    const ca = await root.intermediate({ subject: "CN=constrained-ca, O=certgate", ...VALID, extraExtensions: [constraints(permitted, excluded)] });
    const cert = await ca.client({ subject: options.subject ?? "CN=leaf, O=certgate", ...VALID, ...leaf });
    const result = verifyPath([decoded(cert.der), decoded(ca.der)], trustStoreOf([root]), { at: AT, maxChainLength: 8, allowSha1: false, purpose: "any" });
    return result.ok ? "OK" : result.reason;
  }

  const cases: { name: string; permitted: Form[]; excluded?: Form[]; leaf: Partial<IssueOptions>; subject?: string; expect: string }[] = [
    { name: "DNS inside a permitted subtree", permitted: [{ dns: "example.com" }], leaf: { dnsNames: ["api.example.com"] }, expect: "OK" },
    { name: "DNS equal to the permitted name", permitted: [{ dns: "example.com" }], leaf: { dnsNames: ["example.com"] }, expect: "OK" },
    {
      name: "DNS outside the permitted subtree",
      permitted: [{ dns: "example.com" }],
      leaf: { dnsNames: ["example.org"] },
      expect: "NAME_CONSTRAINT_VIOLATION",
    },
    {
      name: "DNS that only ends with the permitted text",
      permitted: [{ dns: "example.com" }],
      leaf: { dnsNames: ["badexample.com"] },
      expect: "NAME_CONSTRAINT_VIOLATION",
    },
    {
      name: "DNS in an excluded subtree",
      permitted: [],
      excluded: [{ dns: "internal.example.com" }],
      leaf: { dnsNames: ["db.internal.example.com"] },
      expect: "NAME_CONSTRAINT_VIOLATION",
    },
    { name: "e-mail at a permitted host", permitted: [{ email: "example.com" }], leaf: { emails: ["ann@example.com"] }, expect: "OK" },
    { name: "e-mail at another host", permitted: [{ email: "example.com" }], leaf: { emails: ["ann@evil.com"] }, expect: "NAME_CONSTRAINT_VIOLATION" },
    { name: "e-mail below a permitted .domain", permitted: [{ email: ".example.com" }], leaf: { emails: ["ann@mail.example.com"] }, expect: "OK" },
    {
      name: "an excluded mailbox",
      permitted: [],
      excluded: [{ email: "root@example.com" }],
      leaf: { emails: ["root@example.com"] },
      expect: "NAME_CONSTRAINT_VIOLATION",
    },
    {
      name: "emailAddress in the subject checked as an e-mail",
      permitted: [{ email: "example.com" }],
      leaf: {},
      subject: "CN=ann, E=ann@evil.com",
      expect: "NAME_CONSTRAINT_VIOLATION",
    },
    { name: "URI host permitted", permitted: [{ uri: "svc.example.com" }], leaf: { uris: ["https://svc.example.com/x"] }, expect: "OK" },
    {
      name: "URI host not permitted",
      permitted: [{ uri: "svc.example.com" }],
      leaf: { uris: ["spiffe://other.org/ns/x"] },
      expect: "NAME_CONSTRAINT_VIOLATION",
    },
    { name: "IP inside a permitted subnet", permitted: [{ ip: "10.0.0.0/8" }], leaf: { ipAddresses: ["10.1.2.3"] }, expect: "OK" },
    { name: "IP outside the permitted subnet", permitted: [{ ip: "10.0.0.0/8" }], leaf: { ipAddresses: ["192.168.1.1"] }, expect: "NAME_CONSTRAINT_VIOLATION" },
    { name: "IPv6 inside a permitted subnet", permitted: [{ ip: "2001:db8::/32" }], leaf: { ipAddresses: ["2001:db8::1"] }, expect: "OK" },
    {
      name: "IPv6 outside the permitted subnet",
      permitted: [{ ip: "2001:db8::/32" }],
      leaf: { ipAddresses: ["2001:db9::1"] },
      expect: "NAME_CONSTRAINT_VIOLATION",
    },
    { name: "subject DN in a permitted directoryName subtree", permitted: [{ dn: "O=certgate" }], leaf: {}, subject: "CN=leaf, O=certgate", expect: "OK" },
    {
      name: "subject DN outside the permitted directoryName subtree",
      permitted: [{ dn: "O=other" }],
      leaf: {},
      subject: "CN=leaf, O=certgate",
      expect: "NAME_CONSTRAINT_VIOLATION",
    },
    {
      name: "subject DN in an excluded directoryName subtree",
      permitted: [],
      excluded: [{ dn: "O=certgate" }],
      leaf: {},
      subject: "CN=leaf, O=certgate",
      expect: "NAME_CONSTRAINT_VIOLATION",
    },
    {
      name: "a name form the CA does not constrain",
      permitted: [{ dns: "example.com" }],
      leaf: { ipAddresses: ["192.168.1.1"], dnsNames: ["a.example.com"] },
      expect: "OK",
    },
  ];
  for (const { name, permitted, excluded = [], leaf, subject, expect } of cases) {
    it(`${name} -> ${expect}`, async () => {
      assert.equal(await check(permitted, excluded, leaf, subject === undefined ? {} : { subject }), expect);
    });
  }

  it("binds every certificate below the constraining CA, not only the leaf", async () => {
    const ca = await root.intermediate({ subject: "CN=top, O=certgate", ...VALID, extraExtensions: [constraints([{ dns: "example.com" }])] });
    const sub = await ca.intermediate({ subject: "CN=sub, O=certgate", ...VALID, dnsNames: ["sub.evil.com"] });
    const leaf = await sub.client({ subject: "CN=leaf", ...VALID, dnsNames: ["a.example.com"] });
    const result = verifyPath([decoded(leaf.der), decoded(sub.der), decoded(ca.der)], trustStoreOf([root]), {
      at: AT,
      maxChainLength: 8,
      allowSha1: false,
      purpose: "any",
    });
    assert.ok(!result.ok && result.reason === "NAME_CONSTRAINT_VIOLATION" && result.certIndex === 1, JSON.stringify(result));
  });
});
