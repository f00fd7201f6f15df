import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileIntermediateCnAllowList } from "../../src/policy/intermediate-cn.ts";

describe("intermediate-CN allow-list", () => {
  const list = compileIntermediateCnAllowList(["certgate-dev-intermediate", "partner-ca"]);
  const check = (commonNames: string[]) => list.check({ commonNames, name: "CN=x", certIndex: 1 });

  it("allows an issuer with exactly one listed CN", () => {
    assert.equal(check(["certgate-dev-intermediate"]), undefined);
    assert.equal(check(["partner-ca"]), undefined);
  });

  const refused: [string, string[]][] = [
    ["a different CN", ["rogue-intermediate"]],
    ["a different case (exact comparison)", ["Certgate-Dev-Intermediate"]],
    ["a listed CN with padding", ["certgate-dev-intermediate "]],
    ["no CN", []],
    ["several CNs, one listed", ["rogue", "certgate-dev-intermediate"]],
  ];
  for (const [name, commonNames] of refused) {
    it(`refuses ${name} with INTERMEDIATE_CN_NOT_ALLOWED`, () => {
      const failure = check(commonNames);
      assert.equal(failure?.reason, "INTERMEDIATE_CN_NOT_ALLOWED");
      assert.equal(failure?.certIndex, 1);
    });
  }
});
