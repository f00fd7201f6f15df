// X.509-SVID leaf rules on certificates issued by the project's own CA code.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { issueSvid, spiffeRoot } from "../../../src/devpki/spiffe.ts";
import { OID_CLIENT_AUTH } from "../../../src/devpki/ca.ts";
import { KeyUsageFlags } from "../../../src/devpki/x509.ts";
import { checkSvid } from "../../../src/pki/spiffe/svid.ts";
import { VALID, decoded } from "../../helpers/pki.ts";

describe("X.509-SVID leaf rules (X509-SVID.md 4 and 5.2)", async () => {
  const ca = await spiffeRoot("example.org", VALID);
  const leaf = (uris: string[], extra: Parameters<typeof ca.issue>[0] | object = {}) =>
    ca.issue({ subject: "O=SPIRE", ...VALID, ca: false, keyUsage: KeyUsageFlags.digitalSignature, extendedKeyUsage: [OID_CLIENT_AUTH], uris, ...extra });

  it("reads the SPIFFE ID of a valid SVID", async () => {
    const result = checkSvid(decoded((await issueSvid(ca, "spiffe://example.org/ns/a/sa/b", VALID)).der));
    assert.ok(result.ok);
    assert.deepEqual(result.id, { text: "spiffe://example.org/ns/a/sa/b", trustDomain: "example.org", path: "/ns/a/sa/b" });
  });

  it("treats a leaf without a spiffe URI SAN as no SVID", async () => {
    for (const uris of [[], ["https://example.org/x"], ["urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", "https://a/b"]]) {
      const result = checkSvid(decoded((await leaf(uris)).der));
      assert.deepEqual(result, { ok: true, id: undefined }, uris.join(","));
    }
  });

  const refusals: [string, () => Promise<{ der: Uint8Array }>, RegExp][] = [
    ["two URI SANs", () => leaf(["spiffe://example.org/a", "https://example.org/b"]), /2 URI SANs/],
    ["two SPIFFE IDs", () => leaf(["spiffe://example.org/a", "spiffe://example.org/b"]), /2 URI SANs/],
    ["an upper-case scheme", () => leaf(["SPIFFE://example.org/a"]), /does not start with/],
    ["an upper-case trust domain", () => leaf(["spiffe://Example.org/a"]), /lower-case/],
    ["a percent-encoded segment", () => leaf(["spiffe://example.org/a%2Fb"]), /may hold only/],
    ["a dot segment", () => leaf(["spiffe://example.org/a/../b"]), /"\.\." segment/],
    ["a query", () => leaf(["spiffe://example.org/a?b=c"]), /may hold only/],
    ["a CA leaf", () => leaf(["spiffe://example.org/a"], { ca: true, keyUsage: KeyUsageFlags.digitalSignature }), /is a CA/],
    ["no keyUsage", () => leaf(["spiffe://example.org/a"], { keyUsage: undefined }), /no keyUsage/],
    ["keyUsage without digitalSignature", () => leaf(["spiffe://example.org/a"], { keyUsage: KeyUsageFlags.keyAgreement }), /digitalSignature/],
    ["keyCertSign on a leaf", () => leaf(["spiffe://example.org/a"], { keyUsage: KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign }), /keyCertSign/],
    ["cRLSign on a leaf", () => leaf(["spiffe://example.org/a"], { keyUsage: KeyUsageFlags.digitalSignature | KeyUsageFlags.cRLSign }), /cRLSign/],
  ];
  for (const [name, issue, why] of refusals) {
    it(`refuses ${name}: INVALID_SVID on the leaf`, async () => {
      const result = checkSvid(decoded((await issue()).der));
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.reason, "INVALID_SVID");
      assert.equal(result.certIndex, 0);
      assert.match(result.message, why);
    });
  }
});
