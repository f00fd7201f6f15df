// Stages 3 and 4: the presented chain as DER, and each certificate decoded once.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { chainOf, decodeChain } from "../../src/validator/chain.ts";
import { newMemo } from "../../src/validator/memo.ts";
import { newPki, type TestPki } from "../helpers/pki.ts";

describe("the presented chain (stages 3 and 4)", () => {
  let pki: TestPki;
  let leaf: Uint8Array;
  before(async () => {
    pki = await newPki();
    leaf = (await pki.client("alice")).der;
  });
  const outcome = (result: { ok: true } | { ok: false; reason: string; certIndex: number }) => (result.ok ? "ok" : `${result.reason}@${result.certIndex}`);

  it("reads PEM once per distinct text and hashes a DER array once", () => {
    const lookups: boolean[] = [];
    const memo = newMemo({ onCacheLookup: (_, hit) => lookups.push(hit) });
    const pem = { pem: pki.intermediate.pem };
    const first = chainOf(memo, pem, 8);
    assert.ok(first.ok);
    assert.equal(chainOf(memo, pem, 8), first, "the same PEM text is the same answer");
    const ders = [leaf, pki.intermediate.der];
    const a = chainOf(memo, { der: ders }, 8);
    const b = chainOf(memo, { der: ders }, 8);
    assert.ok(a.ok && b.ok);
    assert.equal(a.key, b.key);
  });

  it("refuses an empty chain, one over max_chain_length, bad PEM and a private key before hashing", () => {
    const memo = newMemo({});
    assert.equal(outcome(chainOf(memo, { der: [] }, 8)), "NO_CERTIFICATE@-1");
    assert.equal(outcome(chainOf(memo, { der: [leaf, leaf, leaf] }, 2)), "CHAIN_TOO_LONG@-1");
    assert.equal(outcome(chainOf(memo, { pem: "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n" }, 8)), "MALFORMED_CERTIFICATE@0");
    assert.equal(
      outcome(chainOf(memo, { pem: `${pki.root.pem}-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n` }, 8)),
      "MALFORMED_CERTIFICATE@1",
    );
  });

  it("decodes each certificate once, kept by fingerprint", () => {
    const lookups: boolean[] = [];
    const memo = newMemo({ onCacheLookup: (_, hit) => lookups.push(hit) });
    decodeChain(memo, [leaf, pki.intermediate.der], 16_384);
    decodeChain(memo, [leaf, pki.intermediate.der], 16_384);
    assert.deepEqual(lookups, [false, false, true, true]);
  });

  it("refuses an undecodable leaf and an oversized certificate; leaves a gap for an undecodable extra one", () => {
    const garbage = new Uint8Array([0x30, 0x01, 0x00]);
    assert.equal(outcome(decodeChain(newMemo({}), [garbage, pki.intermediate.der], 16_384)), "MALFORMED_CERTIFICATE@0");
    assert.equal(outcome(decodeChain(newMemo({}), [leaf, pki.intermediate.der], 100)), "CERTIFICATE_TOO_LARGE@0");
    const gap = decodeChain(newMemo({}), [leaf, garbage, pki.intermediate.der], 16_384);
    assert.ok(gap.ok);
    assert.deepEqual(
      gap.chain.map((certificate) => certificate?.subject.text ?? "-"),
      ["CN=alice,O=certgate", "-", "CN=certgate-dev-intermediate,O=certgate"],
    );
    assert.deepEqual(
      gap.undecodable.map((failure) => `${failure.reason}@${failure.certIndex}`),
      ["MALFORMED_CERTIFICATE@1"],
    );
  });
});
