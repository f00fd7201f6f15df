import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { spiffeBundleJson, spiffeRoot } from "../../../src/devpki/spiffe.ts";
import { parseSpiffeBundle } from "../../../src/pki/spiffe/bundle.ts";
import { VALID } from "../../helpers/pki.ts";

describe("SPIFFE bundle reader (SPIFFE_Trust_Domain_and_Bundle.md 4, X509-SVID.md 6)", async () => {
  const a = await spiffeRoot("example.org", VALID);
  const b = await spiffeRoot("example.org", VALID);
  const bundle = JSON.parse(await spiffeBundleJson([a, b], 7)) as { keys: Record<string, unknown>[] };
  const base64 = (der: Uint8Array) => Buffer.from(der).toString("base64");
  const withKeys = (keys: unknown[]) => JSON.stringify({ ...bundle, keys });

  it("reads every x509-svid key's certificate, in order, and the sequence number", () => {
    const parsed = parseSpiffeBundle(JSON.stringify(bundle));
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.certificates.map((der) => Buffer.from(der).toString("hex")),
      [a.der, b.der].map((der) => Buffer.from(der).toString("hex")),
    );
    assert.equal(parsed.sequence, 7);
  });

  it("skips jwt-svid keys and keys of uses it does not know (4.2.2)", () => {
    const jwt = { kty: "EC", use: "jwt-svid", kid: "k", crv: "P-256", x: "x", y: "y" };
    const future = { kty: "EC", use: "wit-svid", x5c: ["not even base64!"] };
    const parsed = parseSpiffeBundle(withKeys([jwt, bundle.keys[0], future]));
    assert.ok(parsed.ok);
    assert.equal(parsed.certificates.length, 1);
  });

  const refusals: [string, string, RegExp][] = [
    ["not JSON", "{keys:", /not JSON/],
    ["an array", "[]", /not a JSON object/],
    ["no keys", "{}", /no "keys" array/],
    ["keys not an array", JSON.stringify({ keys: {} }), /no "keys" array/],
    ["a negative sequence", JSON.stringify({ spiffe_sequence: -1, keys: [] }), /spiffe_sequence/],
    ["a key that is not an object", withKeys(["x"]), /keys\[0\]: not a JSON object/],
    ["a key without kty", withKeys([{ use: "x509-svid", x5c: [base64(a.der)] }]), /keys\[0\]: kty is missing/],
    ["a key without use", withKeys([{ kty: "EC", x5c: [base64(a.der)] }]), /keys\[0\]: use is missing/],
    ["an x509-svid key without x5c", withKeys([{ kty: "EC", use: "x509-svid" }]), /exactly one certificate/],
    ["an x509-svid key with two certificates", withKeys([{ kty: "EC", use: "x509-svid", x5c: [base64(a.der), base64(b.der)] }]), /exactly one certificate/],
    ["base64url in x5c", withKeys([{ kty: "EC", use: "x509-svid", x5c: [base64(a.der).replace(/\+/g, "-").replace(/\//g, "_") + "-_"] }]), /not base64/],
    ["no x509-svid key at all", withKeys([{ kty: "EC", use: "jwt-svid" }]), /no x509-svid keys/],
  ];
  for (const [name, text, why] of refusals) {
    it(`refuses the whole bundle for ${name}`, () => {
      const parsed = parseSpiffeBundle(text);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.why, why);
    });
  }
});
