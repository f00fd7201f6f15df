// Stages 1 and 2: the route a request path takes, and the answers it settles without a certificate.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ResourceRule } from "../../src/policy/resource-rules.ts";
import { resourceRule } from "../helpers/resource-rule.ts";
import { newMemo } from "../../src/validator/memo.ts";
import { routeOf, settledWithoutCertificate } from "../../src/validator/route.ts";
import { compileSettings } from "../../src/validator/settings.ts";
import { trustStoreOf } from "../helpers/pki.ts";

const rule = resourceRule;

function compiled(rules: ResourceRule[] = [], defaultAccess: "allow" | "deny" = "deny") {
  return compileSettings({
    trust: trustStoreOf([]),
    intermediateCertValidation: { enable: true, certCns: ["ca"], exemptContexts: ["/scim2", "dcr"] },
    principal: { emailUsername: false },
    resourceAccess: { rules, defaultAccess },
  });
}

describe("route (stage 1)", () => {
  const cases: { name: string; context: string; expect: string }[] = [
    { name: "a plain path", context: "/api/users?x=1", expect: "/api/users exempt=-" },
    { name: "a prefix exempt context", context: "/scim2/Users", expect: "/scim2/Users exempt=/scim2" },
    {
      name: "a bare exempt context anywhere",
      context: "/t/acme.com/api/identity/oauth2/dcr/v1.1",
      expect: "/t/acme.com/api/identity/oauth2/dcr/v1.1 exempt=dcr",
    },
    { name: "dot segments resolved before matching", context: "/scim2/../api/x", expect: "/api/x exempt=-" },
    { name: "an encoded slash refused", context: "/api%2F..%2Fscim2", expect: "INVALID_REQUEST_PATH" },
    { name: "a relative path refused", context: "api", expect: "INVALID_REQUEST_PATH" },
  ];
  const settings = compiled();
  for (const c of cases) {
    it(`${c.name}: ${c.expect}`, () => {
      const route = routeOf(settings, newMemo({}), { chain: { der: [] }, context: c.context, method: "GET" });
      assert.equal(route.ok ? `${route.path} exempt=${route.exemptBy ?? "-"}` : route.reason, c.expect);
    });
  }

  it("matches the first resource rule in file order for the method", () => {
    const settings = compiled([rule("/api/.*", { methods: ["POST"], httpMethod: "post" }), rule("/api/.*")]);
    const route = (method: string) => routeOf(settings, newMemo({}), { chain: { der: [] }, context: "/api/x", method });
    const post = route("POST");
    const get = route("GET");
    assert.ok(post.ok && get.ok);
    assert.equal(post.match?.index, 0);
    assert.equal(get.match?.index, 1);
  });
});

describe("settled without a certificate (stage 2)", () => {
  const at = (settings: ReturnType<typeof compiled>, context: string) => {
    const route = routeOf(settings, newMemo({}), { chain: { der: [] }, context, method: "GET" });
    assert.ok(route.ok);
    const settled = settledWithoutCertificate(settings, route);
    return settled === undefined ? "needs a certificate" : settled.ok ? "OK" : settled.reason;
  };
  it("needs a certificate when no rules are configured", () => assert.equal(at(compiled(), "/x"), "needs a certificate"));
  it("no rule matches: default_access decides", () => {
    assert.equal(at(compiled([rule("/api/.*")]), "/other"), "NO_MATCHING_RULE");
    assert.equal(at(compiled([rule("/api/.*")], "allow"), "/other"), "OK");
  });
  it("an unsecured rule lets the request through", () => assert.equal(at(compiled([rule("/public/.*", { secure: false })]), "/public/x"), "OK"));
  it("a rule whose handlers exclude ClientCertificate refuses", () =>
    assert.equal(at(compiled([rule("/api/.*", { allowedAuthHandlers: ["basicauthentication"] })]), "/api/x"), "HANDLER_NOT_ALLOWED"));
  it("a secured rule allowing the handler needs a certificate", () =>
    assert.equal(at(compiled([rule("/api/.*", { allowedAuthHandlers: ["clientcertificate"] })]), "/api/x"), "needs a certificate"));
});
