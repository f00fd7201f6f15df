import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { principalFromCommonNames, principalFromName } from "../../src/principal/principal.ts";
import type { FailureReason } from "../../src/reason.ts";

type Expected = [username: string, userStore: string, tenant: string, qualified: string];

describe("principalFromName", () => {
  const cases: { name: string; email?: boolean; expect: Expected }[] = [
    { name: "john", expect: ["john", "PRIMARY", "carbon.super", "john"] },
    { name: "SECONDARY/john", expect: ["john", "SECONDARY", "carbon.super", "SECONDARY/john"] },
    { name: "john@tenant.com", expect: ["john", "PRIMARY", "tenant.com", "john@tenant.com"] },
    { name: "SECONDARY/john@tenant.com", expect: ["john", "SECONDARY", "tenant.com", "SECONDARY/john@tenant.com"] },
    { name: "secondary/john@Tenant.COM", expect: ["john", "SECONDARY", "tenant.com", "SECONDARY/john@tenant.com"] },
    { name: "primary/john", expect: ["john", "PRIMARY", "carbon.super", "john"] },
    { name: "john@carbon.super", expect: ["john", "PRIMARY", "carbon.super", "john"] },
    { name: "john@gmail.com", email: true, expect: ["john@gmail.com", "PRIMARY", "carbon.super", "john@gmail.com@carbon.super"] },
    { name: "john@gmail.com@tenant.com", email: true, expect: ["john@gmail.com", "PRIMARY", "tenant.com", "john@gmail.com@tenant.com"] },
    { name: "SECONDARY/john@gmail.com@tenant.com", email: true, expect: ["john@gmail.com", "SECONDARY", "tenant.com", "SECONDARY/john@gmail.com@tenant.com"] },
    { name: "john", email: true, expect: ["john", "PRIMARY", "carbon.super", "john"] },
  ];
  for (const { name, email = false, expect } of cases) {
    it(`${name}${email ? " (email_username)" : ""} -> ${expect.join(", ")}`, () => {
      const result = principalFromName(name, { emailUsername: email });
      assert.ok(result.ok, result.ok ? "" : result.message);
      const p = result.principal;
      assert.deepEqual([p.username, p.userStoreDomain, p.tenantDomain, p.qualifiedUsername], expect);
    });
  }

  const invalid: { name: string; email?: boolean }[] = [
    { name: "/john" },
    { name: "john@" },
    { name: "@tenant.com" },
    { name: "A/B/john" },
    { name: "SECONDARY/" },
    { name: "jo\u0000hn" },
    { name: "john\n" },
    { name: " john" },
    { name: "john@gmail.com@tenant.com" },
    { name: "john@tenant_com" },
    { name: "a@b@c@d.com", email: true },
    { name: "john@@tenant.com", email: true },
    { name: "SEC ONDARY/john" },
  ];
  for (const { name, email = false } of invalid) {
    it(`refuses ${JSON.stringify(name)}${email ? " (email_username)" : ""} with INVALID_USERNAME`, () => {
      const result = principalFromName(name, { emailUsername: email });
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(result.reason, "INVALID_USERNAME");
    });
  }
});

describe("principalFromCommonNames", () => {
  const cases: { cns: string[]; expect: FailureReason }[] = [
    { cns: [], expect: "EMPTY_CN" },
    { cns: [""], expect: "EMPTY_CN" },
    { cns: ["   "], expect: "EMPTY_CN" },
    { cns: ["john", "mallory"], expect: "AMBIGUOUS_CN" },
    { cns: ["A/B/john"], expect: "INVALID_USERNAME" },
  ];
  for (const { cns, expect } of cases) {
    it(`${JSON.stringify(cns)} -> ${expect}, naming the leaf`, () => {
      const result = principalFromCommonNames(cns, { emailUsername: false });
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.reason, expect);
        assert.equal(result.certIndex, 0);
      }
    });
  }

  it("maps a single CN", () => {
    const result = principalFromCommonNames(["SECONDARY/john@tenant.com"], { emailUsername: false });
    assert.ok(result.ok && result.principal.qualifiedUsername === "SECONDARY/john@tenant.com");
  });
});
