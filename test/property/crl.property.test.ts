// The streaming CRL reader under mutation: truncations, bit flips, bad lengths,
// duplicate and unsorted serials, huge serials, random entry lists. It never throws;
// it answers a typed refusal or a CRL whose every lookup agrees with the entries.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { Extension } from "../../src/devpki/x509.ts";
import { serialBytes, serialText } from "../../src/pki/certificate/certificate.ts";
import { decodeCrl } from "../../src/pki/revocation/crl.ts";
import { certificateIssuerExtension } from "../helpers/extensions.ts";
import { newPki, rawCrl, type RawCrlEntry, type TestPki } from "../helpers/pki.ts";
import { referenceCrl } from "../helpers/reference-crl.ts";

const RUNS = { numRuns: 300 };
const FRESH = { thisUpdate: new Date("2026-05-31T00:00:00Z"), nextUpdate: new Date("2026-06-07T00:00:00Z") };

/** Minimal two's-complement INTEGER contents, positive or negative, up to `octets` long. */
const serial = (octets: number) =>
  fc.uint8Array({ minLength: 1, maxLength: octets }).map((bytes) => {
    let start = 0;
    while (start < bytes.length - 1 && ((bytes[start] === 0 && bytes[start + 1]! < 0x80) || (bytes[start] === 0xff && bytes[start + 1]! >= 0x80))) start++;
    return Buffer.from(bytes.subarray(start)).toString("hex");
  });

const reason = fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 8, 9, 10).map((code) => new Extension("2.5.29.21", false, new Uint8Array([0x0a, 0x01, code])));

describe("the CRL reader under mutation", () => {
  let pki: TestPki;
  let sample: Uint8Array;
  before(async () => {
    pki = await newPki();
    sample = rawCrl(pki.intermediate, {
      ...FRESH,
      entries: [
        { serial: "01" },
        { serial: "7f".repeat(20) },
        { serial: "02", extensions: [certificateIssuerExtension([["2.5.4.3", "other-ca"]])] },
        { serial: "ff01", extensions: [new Extension("2.5.29.21", false, new Uint8Array([0x0a, 0x01, 0x01]))] },
      ],
    });
  });

  it("never throws on truncations, bit flips, and overwritten length octets", () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat({ max: 255 }), fc.constantFrom("truncate", "flip", "set"), (at, value, how) => {
        const bytes = new Uint8Array(sample);
        const i = at % bytes.length;
        const mutated = how === "truncate" ? bytes.subarray(0, i) : bytes;
        if (how === "flip") mutated[i] = mutated[i]! ^ (1 << (value % 8));
        if (how === "set") mutated[i] = value;
        const decoded = decodeCrl(mutated);
        if (!decoded.ok) assert.match(decoded.why, /^cannot be parsed/);
        else decoded.crl.revoked.lookup(decoded.crl.issuer.key, serialBytes("01"));
      }),
      { numRuns: 3000 },
    );
  });

  it("finds exactly the listed (issuer, serial) pairs of random entry lists, duplicates and huge serials included", () => {
    const entry = fc.record({ serial: fc.oneof(serial(4), serial(40)), reason: fc.option(reason), switchIssuer: fc.boolean() });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 40 }), fc.array(serial(4), { maxLength: 10 }), (entries, others) => {
        const raw: RawCrlEntry[] = entries.map((e, i) => ({
          serial: e.serial,
          extensions: [...(e.reason === null ? [] : [e.reason]), ...(e.switchIssuer ? [certificateIssuerExtension([["2.5.4.3", `issuer-${i % 3}`]])] : [])],
        }));
        const der = rawCrl(pki.intermediate, { ...FRESH, entries: raw });
        const decoded = decodeCrl(der);
        assert.ok(decoded.ok, decoded.ok ? "" : decoded.why);
        const { crl } = decoded;
        const reference = referenceCrl(der);
        assert.equal(crl.revoked.count, reference.entries.size);
        for (const [key, listed] of reference.entries) {
          const [text, issuerKey] = [key.slice(0, key.indexOf(" ")), key.slice(key.indexOf(" ") + 1)];
          assert.equal(crl.revoked.lookup(issuerKey, serialBytes(text))?.reason, listed.reason, key);
        }
        for (const other of others) {
          const key = `${serialText(Buffer.from(other, "hex"))} ${crl.issuer.key}`;
          assert.equal(crl.revoked.lookup(crl.issuer.key, Buffer.from(other, "hex")) !== undefined, reference.entries.has(key), key);
        }
      }),
      RUNS,
    );
  });
});
