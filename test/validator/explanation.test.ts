// The explanation says what the decision says: each stage's result becomes steps, a
// CRL that cannot vouch refuses nothing by itself (the stale-CRL trace of issue 19),
// and the path, the decision and the hint come from the same run.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { issueCrl } from "../../src/devpki/revocation.ts";
import { RevocationStore } from "../../src/pki/revocation/store.ts";
import type { Decision } from "../../src/validator/decision.ts";
import { Tracer } from "../../src/validator/explanation.ts";
import { createValidator } from "../../src/validator/validator.ts";
import { AT, crlOf, newPki, type TestPki } from "../helpers/pki.ts";
import { settingsFor } from "../helpers/scenarios.ts";

const lines = (decision: Decision) => decision.explanation!.steps.map((step) => `${step.ok ? "ok" : "FAIL"} ${step.stage} ${step.check}: ${step.detail}`);

describe("explanations", () => {
  let pki: TestPki;
  before(async () => {
    pki = await newPki();
  });

  it("a stale CRL under soft_fail: the decision is OK and no step says REVOKED", async () => {
    const store = new RevocationStore();
    store.addCrl(crlOf(await issueCrl(pki.intermediate, { thisUpdate: new Date("2026-01-01T00:00:00Z"), nextUpdate: new Date("2026-01-08T00:00:00Z") })));
    const validator = createValidator({ ...settingsFor(pki), revocation: { mode: "soft_fail", store, ocsp: false, fetch: false } });
    const leaf = await pki.client("alice");
    const decision = validator.validate({ chain: { der: [leaf.der, pki.intermediate.der] }, context: "/", method: "GET" }, AT, { explain: true });
    assert.equal(decision.reason, "OK");
    const steps = lines(decision);
    assert.ok(
      steps.every((step) => !step.includes("REVOKED")),
      steps.join("\n"),
    );
    assert.ok(
      steps.some((step) => /^ok revocation status of "CN=alice,O=certgate": not used: CRL .* is stale/.test(step)),
      steps.join("\n"),
    );
    assert.ok(
      steps.some((step) =>
        /^ok revocation revocation \(mode soft_fail\): .*without a usable status \(allowed under soft_fail\): #0 "CN=alice,O=certgate": CRL .* is stale/.test(
          step,
        ),
      ),
      steps.join("\n"),
    );
    assert.equal(decision.explanation!.hint, undefined);
  });

  it("a refusal: the failing step, the decision last, the path and a hint from the same failure", async () => {
    const validator = createValidator(settingsFor(pki));
    const rogue = await pki.client("mallory", {}, pki.rogue);
    const decision = validator.validate({ chain: { der: [rogue.der, pki.rogue.der] }, context: "/api", method: "GET" }, AT, { explain: true });
    const explanation = decision.explanation!;
    const failed = explanation.steps.filter((step) => !step.ok);
    assert.deepEqual(
      failed.map((step) => `${step.stage} ${step.check} #${step.certIndex}`),
      ["policy intermediate CN allow-list #1", "decision INTERMEDIATE_CN_NOT_ALLOWED #1"],
    );
    assert.equal(explanation.steps.at(-1)!.stage, "decision");
    assert.equal(explanation.pathVerified, true);
    assert.deepEqual(
      explanation.path.map((certificate) => `${certificate.depth} ${certificate.anchor}`),
      ["0 false", "1 false", "2 true"],
    );
    assert.match(explanation.hint!, /issuing CA "CN=rogue-intermediate,O=certgate" is not in intermediate_cert_validation\.cert_cns/);
  });

  it("a request path refused before any certificate is read is explained by its route step alone", () => {
    const validator = createValidator(settingsFor(pki));
    const decision = validator.validate({ chain: { der: [] }, context: "/a%2Fb", method: "GET" }, AT, { explain: true });
    assert.deepEqual(lines(decision), [
      'FAIL route request path "/a%2Fb": INVALID_REQUEST_PATH: request path contains an encoded slash',
      `FAIL decision INVALID_REQUEST_PATH: INVALID_REQUEST_PATH: ${decision.message}`,
    ]);
  });

  it("the tracer records the route's exempt context and a pinned path's anchor", () => {
    const tracer = new Tracer();
    tracer.route(
      { ok: true, exempt: true, exemptBy: "/scim2", path: "/scim2/Users", segments: ["scim2", "Users"], match: undefined },
      { context: "/scim2/Users", method: "GET" },
      false,
    );
    assert.deepEqual(
      tracer.steps.map((step) => `${step.stage}: ${step.detail}`),
      ["route: GET /scim2/Users", 'policy: matches exempt context "/scim2"'],
    );
  });
});
