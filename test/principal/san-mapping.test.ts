// The [[principal.mapping]] template matcher.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileSanMappings, type MappingRule, type SanSource } from "../../src/principal/san-mapping.ts";

function mapper(source: SanSource, rules: MappingRule[]) {
  const compiled = compileSanMappings(source, rules);
  if (!compiled.ok) throw new Error(compiled.problems.join("; "));
  return (value: string | string[]) => compiled.mappings.map(Array.isArray(value) ? value : [value])?.name;
}

describe("SAN mapping templates", () => {
  const spiffe = mapper("uri_san", [{ match: "spiffe://{td}/ns/{ns}/sa/{sa}", username: "{sa}", userStore: "SPIFFE", tenant: "{ns}.svc" }]);
  const rows: [string, string | undefined][] = [
    ["spiffe://prod.example.org/ns/payments/sa/api", "SPIFFE/api@payments.svc"],
    // Whole segments only: one segment per placeholder, the whole ID.
    ["spiffe://prod.example.org/ns/payments/sa/api/extra", undefined],
    ["spiffe://prod.example.org/ns/pay/ments/sa/api", undefined],
    ["spiffe://prod.example.org/ns//sa/api", undefined],
    ["spiffe://prod.example.org/ns/payments/sa/", undefined],
    ["spiffe://prod.example.org/ns/payments/sa", undefined],
    ["xspiffe://prod.example.org/ns/payments/sa/api", undefined],
    // Literals match exactly and with case: "NS" is not "ns".
    ["spiffe://prod.example.org/NS/payments/sa/api", undefined],
    ["spiffe://prod.example.org/namespace/payments/sa/api", undefined],
    // Nothing is percent-decoded, and a capture never holds "%", "?" or "#".
    ["spiffe://prod.example.org/ns/pay%2Fments/sa/api", undefined],
    ["spiffe://prod.example.org/ns/payments/sa/api?x", undefined],
    ["spiffe://prod.example.org/ns/payments/sa/api#x", undefined],
    // A capture never holds "@": a certificate cannot pick the tenant.
    ["spiffe://prod.example.org/ns/payments/sa/admin@carbon.super", undefined],
  ];
  for (const [value, expected] of rows) {
    it(`${value} -> ${expected ?? "no match"}`, () => assert.equal(spiffe(value), expected));
  }

  it("never matches a sibling prefix of a literal segment", () => {
    const pinned = mapper("uri_san", [{ match: "spiffe://td/ns/pay/sa/{sa}", username: "{sa}" }]);
    assert.equal(pinned("spiffe://td/ns/pay/sa/x"), "x");
    assert.equal(pinned("spiffe://td/ns/payments/sa/x"), undefined);
    assert.equal(pinned("spiffe://td/ns/pa/sa/x"), undefined);
    assert.equal(pinned("spiffe://td/ns/pay/sax/x"), undefined);
  });

  it("lets a placeholder inside a segment capture only up to the next literal character", () => {
    const inside = mapper("uri_san", [{ match: "spiffe://td/sa-{name}.prod", username: "{name}" }]);
    assert.equal(inside("spiffe://td/sa-web.prod"), "web");
    assert.equal(inside("spiffe://td/sa-web.x.prod"), undefined);
    assert.equal(inside("spiffe://td/sa-.prod"), undefined);
  });

  it("reads WSO2 forms from the filled username", () => {
    const forms = mapper("uri_san", [{ match: "spiffe://td/ns/{ns}/sa/{sa}", username: "SECONDARY/{sa}@{ns}.svc" }]);
    assert.equal(forms("spiffe://td/ns/billing/sa/invoicer"), "SECONDARY/invoicer@billing.svc");
  });

  it("takes the first mapping in file order, across all of the leaf's values", () => {
    const ordered = mapper("uri_san", [
      { match: "spiffe://td/admin/{x}", username: "admin-{x}" },
      { match: "spiffe://td/{x}", username: "{x}" },
    ]);
    assert.equal(ordered(["spiffe://td/app", "spiffe://td/admin/app"]), "admin-app");
    assert.equal(ordered(["spiffe://td/app"]), "app");
  });

  it("matches e-mail addresses with the domain case-insensitively and the local part as written", () => {
    const email = mapper("email_san", [{ match: "{user}@{tenant}", username: "{user}", tenant: "{tenant}" }]);
    assert.equal(email("John.Doe@ACME.com"), "John.Doe@acme.com");
    assert.equal(email("a/b@acme.com"), undefined, "a capture never holds a user store separator");
    assert.equal(email("@acme.com"), undefined);
    const corp = mapper("email_san", [{ match: "{user}@{dept}.Corp.Example", username: "{user}", userStore: "{dept}" }]);
    assert.equal(corp("ann@sales.corp.example"), "sales/ann");
    assert.equal(corp("ann@eu.sales.corp.example"), undefined, "one DNS label per placeholder after a literal dot");
  });

  it("matches DNS names label by label, without case", () => {
    const dns = mapper("dns_san", [{ match: "{host}.Svc.Corp.Example", username: "{host}" }]);
    assert.equal(dns("api.svc.corp.example"), "api");
    assert.equal(dns("API.SVC.corp.example"), "api");
    assert.equal(dns("a.b.svc.corp.example"), undefined);
    assert.equal(dns("svc.corp.example"), undefined);
    assert.equal(dns("api.svc.corp.example.evil"), undefined);
  });

  const problems: [MappingRule, RegExp][] = [
    [{ match: "spiffe://td/{a", username: "x" }, /without "}"/],
    [{ match: "spiffe://td/a}", username: "x" }, /without "{"/],
    [{ match: "spiffe://td/{a-b}", username: "x" }, /not a name/],
    [{ match: "spiffe://td/{a}{b}", username: "{a}" }, /need literal text between/],
    [{ match: "spiffe://td/{a}/{a}", username: "{a}" }, /appears twice/],
    [{ match: "spiffe://td/{a}", username: "{b}" }, /\.username: .*match does not capture/],
    [{ match: "spiffe://td/{a}", username: "{a}", tenant: "{t}.svc" }, /\.tenant: .*match does not capture/],
    [{ match: "spiffe://td/{a}", username: "" }, /username: required/],
    [{ match: "spiffe://td/{a}", username: "S/{a}", userStore: "X" }, /user store in username or in user_store/],
    [{ match: "spiffe://td/{a}", username: "{a}@t", tenant: "x" }, /tenant in username or in tenant/],
  ];
  for (const [rule, why] of problems) {
    it(`refuses ${JSON.stringify(rule)}`, () => {
      const compiled = compileSanMappings("uri_san", [rule]);
      assert.ok(!compiled.ok);
      assert.match(compiled.problems.join("\n"), why);
      assert.match(compiled.problems[0]!, /^\[0\]/);
    });
  }
});
