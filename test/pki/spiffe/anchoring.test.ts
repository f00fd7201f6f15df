// Which anchors a leaf must chain to: an SVID only its own trust domain's, anything
// else truststore.ca_files; and the refusal that names where a stray SVID leads.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Authority } from "../../../src/devpki/ca.ts";
import { issueSvid, spiffeRoot } from "../../../src/devpki/spiffe.ts";
import { anchoringOf, outsideTrustDomain, type TrustSources } from "../../../src/pki/spiffe/anchoring.ts";
import { VALID, decoded, newPki, trustStoreOf, type TestPki } from "../../helpers/pki.ts";

describe("trust-domain anchoring", () => {
  let pki: TestPki;
  let prod: Authority;
  let partner: Authority;
  let sources: TrustSources;
  before(async () => {
    pki = await newPki();
    prod = await spiffeRoot("prod.example", VALID);
    partner = await spiffeRoot("partner.example", VALID);
    sources = {
      trust: trustStoreOf([pki.root]),
      trustDomains: new Map([
        ["prod.example", trustStoreOf([prod])],
        ["partner.example", trustStoreOf([partner])],
      ]),
      spiffe: true,
    };
  });

  it("sends an SVID to its own trust domain's anchors only", async () => {
    const svid = decoded((await issueSvid(prod, "spiffe://prod.example/ns/a/sa/b", VALID)).der);
    const anchoring = anchoringOf(svid, sources);
    assert.ok(anchoring.ok);
    assert.equal(anchoring.spiffeId?.text, "spiffe://prod.example/ns/a/sa/b");
    assert.equal(anchoring.trust, sources.trustDomains.get("prod.example"));
    assert.equal(anchoring.anchoredBy, "trust domain prod.example");
  });

  it("sends any other leaf to truststore.ca_files, and every leaf when SPIFFE handling is off", async () => {
    const plain = decoded((await pki.client("alice")).der);
    const svid = decoded((await issueSvid(prod, "spiffe://prod.example/x", VALID)).der);
    for (const [leaf, spiffe] of [
      [plain, true],
      [svid, false],
    ] as const) {
      const anchoring = anchoringOf(leaf, { ...sources, spiffe });
      assert.ok(anchoring.ok);
      assert.equal(anchoring.trust, sources.trust);
      assert.equal(anchoring.spiffeId, undefined);
    }
  });

  it("refuses an SVID of an unconfigured domain with a rule a hint can key on, and a malformed SVID", async () => {
    const stray = decoded((await issueSvid(prod, "spiffe://elsewhere.example/x", VALID)).der);
    const refused = anchoringOf(stray, sources);
    assert.ok(!refused.ok);
    assert.equal(`${refused.reason}/${refused.rule}`, "TRUST_DOMAIN_MISMATCH/trust-domain-not-configured");
    const twoIds = decoded((await prod.client({ subject: "O=x", ...VALID, uris: ["spiffe://prod.example/a", "spiffe://prod.example/b"] })).der);
    const invalid = anchoringOf(twoIds, sources);
    assert.ok(!invalid.ok);
    assert.equal(invalid.reason, "INVALID_SVID");
  });

  it("names the domain a forged SVID's chain leads to", async () => {
    const forged = decoded((await issueSvid(partner, "spiffe://prod.example/ns/a/sa/admin", VALID)).der);
    const anchoring = anchoringOf(forged, sources);
    assert.ok(anchoring.ok && anchoring.spiffeId !== undefined);
    const refusal = outsideTrustDomain(anchoring.spiffeId, [forged], sources, "no path");
    assert.equal(refusal.rule, "outside-trust-domain");
    assert.match(refusal.message, /issued under an anchor of trust domain partner\.example/);
  });
});
