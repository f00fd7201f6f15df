// The fetch loop: a decision that needs revocation sources is asked again after the
// edge fetched them (or marked them unavailable), and never asks a third time.
import assert from "node:assert/strict";
import { it } from "node:test";
import { validateWithFetch } from "../../src/fetch/validate-with-fetch.ts";
import type { RevocationNeed } from "../../src/pki/revocation/check.ts";
import { RevocationStore } from "../../src/pki/revocation/store.ts";
import { decision, type Decision, type Validator } from "../../src/validator/decision.ts";

const need = { kind: "crl", url: "http://crl.example/ca.crl" } as RevocationNeed;
const request = { chain: { der: [] }, context: "/", method: "GET" };

/** A validator answering from a script: each call takes the next answer. */
function scripted(answers: Decision[]): Validator & { calls: number } {
  const store = new RevocationStore();
  const validator = {
    calls: 0,
    revocationStore: store,
    validate() {
      return answers[Math.min(validator.calls++, answers.length - 1)]!;
    },
  };
  return validator;
}

const ok = decision(undefined, { ok: true, message: "ok" });
const pending = { ...decision(undefined, { ok: false, reason: "REVOCATION_UNKNOWN", message: "fetch", certIndex: -1 }), revocationNeeds: [need] };

it("answers at once when nothing needs fetching", async () => {
  const validator = scripted([ok]);
  assert.equal(await validateWithFetch(validator, request, () => new Date(), undefined), ok);
  assert.equal(validator.calls, 1);
});

it("fetches what the first answer needs, then asks again", async () => {
  const validator = scripted([pending, ok]);
  const fetched: string[] = [];
  const answer = await validateWithFetch(
    validator,
    request,
    () => new Date(),
    async (_, needs) => void fetched.push(...needs.map((n) => n.url)),
  );
  assert.equal(answer, ok);
  assert.deepEqual(fetched, [need.url]);
  assert.equal(validator.calls, 2);
});

it("without a fetcher, marks the sources unavailable for the failure backoff before asking again", async () => {
  const validator = scripted([pending, ok]);
  const now = new Date("2026-06-01T00:00:00Z");
  await validateWithFetch(validator, request, () => now, undefined);
  assert.match(validator.revocationStore.attempt(need.url, now.getTime())?.problem?.detail ?? "", /not fetched \(no fetcher\)/);
  assert.equal(validator.revocationStore.attempt(need.url, now.getTime() + 31_000), undefined);
});

it("fails closed when the second answer still asks: the needs are dropped, the refusal kept", async () => {
  const validator = scripted([pending, pending, ok]);
  const answer = await validateWithFetch(
    validator,
    request,
    () => new Date(),
    async () => undefined,
  );
  assert.equal(answer.reason, "REVOCATION_UNKNOWN");
  assert.equal(answer.allowed, false);
  assert.deepEqual(answer.revocationNeeds, []);
  assert.equal(validator.calls, 2);
});
