// NIST PKITS (RFC 5280 path validation conformance), every case of the manifest run
// through `certgate verify` in-process: its outcome, and the reason certgate gives.
// PKITS tests section 6 (path validation); some of its valid paths hold CA certificates
// that break section 4's MUSTs (non-critical basicConstraints or policyConstraints).
// Under the default profile "rfc5280" every case reaches the manifest's outcome (those
// with warnings); under "strict" exactly those cases are refused as NONCONFORMING_CERTIFICATE.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { verifyCommand } from "../../../src/cli/verify.ts";

const DIR = fileURLToPath(new URL("../../fixtures/pkits/", import.meta.url));

interface Case {
  readonly id: string;
  readonly leaf: string;
  readonly intermediates: readonly string[];
  readonly crls: readonly string[];
  readonly require_revocation: boolean;
  readonly expect: "valid" | "invalid";
  readonly either_if_sha1_rejected?: boolean;
}

const manifest = JSON.parse(readFileSync(`${DIR}manifest.json`, "utf8")) as { trust_anchor: string; cases: Case[] };
const expected = JSON.parse(readFileSync(`${DIR}expected-reasons.json`, "utf8")) as { rfc5280: Record<string, string>; strict: Record<string, string> };
const reasons = expected.rfc5280;
const strictReason = (id: string) => expected.strict[id] ?? reasons[id];

/** The case as the README's command line, PKITS's default settings, validation time 2020-06-01. */
async function verify(c: Case, extra: readonly string[]): Promise<{ code: number; reason: string; message: string; warnings: { rule: string }[] }> {
  const args = [
    "--at",
    "2020-06-01T00:00:00Z",
    "--ca",
    `${DIR}certs/${manifest.trust_anchor}`,
    ...c.intermediates.flatMap((file) => ["--untrusted", `${DIR}certs/${file}`]),
    ...c.crls.flatMap((file) => ["--crl", `${DIR}crls/${file}`]),
    "--revocation",
    c.require_revocation ? "require" : "hard_fail",
    ...extra,
    `${DIR}certs/${c.leaf}`,
  ];
  let out = "";
  let err = "";
  const code = await verifyCommand(
    args,
    (text) => (out += text),
    (text) => (err += text),
  );
  assert.notEqual(code, 2, `${c.id}: usage error: ${err}`);
  const decision = JSON.parse(out) as { reason: string; message: string; warnings: { rule: string }[] };
  return { code, reason: decision.reason, message: decision.message, warnings: decision.warnings };
}

describe("NIST PKITS", () => {
  it("has an expected reason for every case, OK exactly for the valid ones", () => {
    assert.equal(manifest.cases.length, 172);
    for (const c of manifest.cases) {
      const reason = reasons[c.id];
      assert.ok(reason !== undefined, c.id);
      const valid = c.expect === "valid" && c.either_if_sha1_rejected !== true;
      assert.equal(reason === "OK", valid, `${c.id}: expected reason ${reason} disagrees with the manifest`);
      if (c.either_if_sha1_rejected === true && c.expect === "valid") assert.equal(reason, "WEAK_SIGNATURE_ALGORITHM", c.id);
    }
  });

  it("under the strict profile, differs only by refusing nonconforming paths: exactly these 14 valid ones", () => {
    const valid = new Set(manifest.cases.filter((c) => c.expect === "valid").map((c) => c.id));
    assert.deepEqual(
      Object.keys(expected.strict)
        .filter((id) => valid.has(id))
        .sort(),
      [
        "40604_valid_basicconstraints_not_critical_test4",
        "40806_overlapping_policies_test3",
        "40810_all_certificates_same_policies_test10",
        "40811_all_certificates_any_policy_test10",
        "40813_all_certificates_same_policies_test13",
        "40814_any_policy_test14",
        "41009_valid_policy_mapping_test9",
        "41011_valid_policy_mapping_test11",
        "41013_valid_policy_mapping_test13",
        "41014_valid_policy_mapping_test14",
        "41202_valid_inhibit_any_policy_test2",
        "41203_inhibit_any_policy_test3",
        "41207_valid_self_issued_inhibit_any_policy_test7",
        "41209_valid_self_issued_inhibit_any_policy_test9",
      ],
    );
    for (const [id, reason] of Object.entries(expected.strict)) assert.equal(reason, "NONCONFORMING_CERTIFICATE", id);
  });

  for (const c of manifest.cases) {
    it(`${c.id}: ${reasons[c.id]} (rfc5280), ${strictReason(c.id)} (strict)`, async () => {
      const relyingParty = await verify(c, []);
      assert.equal(relyingParty.reason, reasons[c.id], `${c.id}: ${relyingParty.message}`);
      assert.equal(relyingParty.code, relyingParty.reason === "OK" ? 0 : 1);
      // What strict refuses, the default accepts and reports.
      if (expected.strict[c.id] !== undefined && relyingParty.reason === "OK") assert.ok(relyingParty.warnings.length > 0, `${c.id}: no warnings`);
      const strict = await verify(c, ["--profile", "strict"]);
      assert.equal(strict.reason, strictReason(c.id), `${c.id} (strict): ${strict.message}`);
    });
  }

  for (const c of manifest.cases.filter((each) => each.either_if_sha1_rejected === true)) {
    it(`${c.id} with --allow-sha1: ${c.expect}`, async () => {
      const { code, message } = await verify(c, ["--allow-sha1"]);
      assert.equal(code, c.expect === "valid" ? 0 : 1, `${c.id}: ${message}`);
    });
  }
});
