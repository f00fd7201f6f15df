// A resource rule's trust_domains and principals.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compilePrincipalPatterns, invalidPrincipalPattern, type ClientNames } from "../../src/policy/principal-patterns.ts";

const svid = (id: string, qualifiedUsername?: string): ClientNames => ({ spiffeId: id, trustDomain: /^spiffe:\/\/([^/]+)/.exec(id)![1], qualifiedUsername });
const user = (qualifiedUsername: string): ClientNames => ({ spiffeId: undefined, trustDomain: undefined, qualifiedUsername });

describe("rule principals and trust domains", () => {
  it("admits anyone when neither is set", () => {
    assert.equal(compilePrincipalPatterns([], []), undefined);
  });

  const payments = compilePrincipalPatterns([], ["spiffe://prod.example.org/ns/payments/*"])!;
  const rows: [ClientNames, boolean][] = [
    [svid("spiffe://prod.example.org/ns/payments/sa/api"), true],
    [svid("spiffe://prod.example.org/ns/payments/x"), true],
    // "*" is one or more whole segments: the namespace itself and its siblings are out.
    [svid("spiffe://prod.example.org/ns/payments"), false],
    [svid("spiffe://prod.example.org/ns/payments-admin/sa/api"), false],
    [svid("spiffe://prod.example.org/ns/paymentsx/sa/api"), false],
    [svid("spiffe://other.example.org/ns/payments/sa/api"), false],
    [svid("spiffe://prod.example.org.evil/ns/payments/sa/api"), false],
    [svid("spiffe://prod.example.org/NS/payments/sa/api"), false],
    [user("payments"), false],
  ];
  for (const [client, admitted] of rows) {
    it(`${client.spiffeId ?? client.qualifiedUsername} is ${admitted ? "admitted" : "refused"} by spiffe://prod.example.org/ns/payments/*`, () => {
      const refused = payments.check(client);
      assert.equal(refused === undefined, admitted);
      if (refused !== undefined) assert.equal(refused.reason, "PRINCIPAL_NOT_ALLOWED");
    });
  }

  it('matches a "*" inside a segment within that segment only', () => {
    const sa = compilePrincipalPatterns([], ["spiffe://td/ns/*/sa/web-*"])!;
    assert.equal(sa.check(svid("spiffe://td/ns/a/sa/web-1")), undefined);
    assert.ok(sa.check(svid("spiffe://td/ns/a/sa/web-")));
    assert.ok(sa.check(svid("spiffe://td/ns/a/sa/web-1/x")));
  });

  it("matches other patterns against the qualified username", () => {
    const secondary = compilePrincipalPatterns([], ["SECONDARY/*@acme.com", "admin"])!;
    assert.equal(secondary.check(user("SECONDARY/john@acme.com")), undefined);
    assert.equal(secondary.check(user("admin")), undefined);
    assert.ok(secondary.check(user("SECONDARY/john@acme.com.evil")));
    assert.ok(secondary.check(user("PRIMARY/john@acme.com")));
    assert.ok(secondary.check(user("administrator")));
    assert.ok(secondary.check(svid("spiffe://td/x")), "a SPIFFE ID is not a username");
    // An SVID whose mapped username matches is admitted by the username pattern.
    assert.equal(secondary.check(svid("spiffe://td/x", "admin")), undefined);
  });

  it("pins trust domains, and refuses clients without a SPIFFE ID", () => {
    const pinned = compilePrincipalPatterns(["prod.example.org"], [])!;
    assert.equal(pinned.check(svid("spiffe://prod.example.org/a")), undefined);
    assert.match(pinned.check(svid("spiffe://staging.example.org/a"))!.message, /trust domain staging\.example\.org/);
    assert.match(pinned.check(user("john"))!.message, /no SPIFFE ID/);
  });

  it("needs both the trust domain and a principal pattern when both are set", () => {
    const both = compilePrincipalPatterns(["a.org"], ["spiffe://b.org/*", "spiffe://a.org/x"])!;
    assert.equal(both.check(svid("spiffe://a.org/x")), undefined);
    assert.ok(both.check(svid("spiffe://b.org/x")));
    assert.ok(both.check(svid("spiffe://a.org/y")));
  });

  it('refuses empty patterns and "**"', () => {
    assert.match(invalidPrincipalPattern("")!, /empty/);
    assert.match(invalidPrincipalPattern("spiffe://td/**")!, /\*\*/);
    assert.equal(invalidPrincipalPattern("spiffe://td/*"), undefined);
  });
});
