// The streaming CRL reader against the asn1-x509 decoding certgate used before it,
// on every CRL the test suites have (all of NIST PKITS, and generated ones with
// reasons, indirect entries, delta indicators and distribution point scopes): the
// same issuer, dates, number, scope, entries and reasons. And the regression that
// started it: a CRL without nextUpdate lists its revoked serials.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { issueCrl } from "../../../src/devpki/revocation.ts";
import { Extension, X509CrlReason } from "../../../src/devpki/x509.ts";
import { serialBytes } from "../../../src/pki/certificate/certificate.ts";
import { decodeCrl, type Crl } from "../../../src/pki/revocation/crl.ts";
import { certificateIssuerExtension, issuingDistributionPointExtension } from "../../helpers/extensions.ts";
import { AT, newPki, rawCrl, type TestPki } from "../../helpers/pki.ts";
import { referenceCrl, type ReferenceCrl } from "../../helpers/reference-crl.ts";

const PKITS = new URL("../../fixtures/pkits/crls/", import.meta.url);

/** Every field the two readings share, in one comparable shape. */
function fromReader(crl: Crl, reference: ReferenceCrl) {
  const entries = [...reference.entries.keys()].map((key) => {
    const [serial, issuerKey] = [key.slice(0, key.indexOf(" ")), key.slice(key.indexOf(" ") + 1)];
    const entry = crl.revoked.lookup(issuerKey, serialBytes(serial));
    return [key, entry === undefined ? undefined : { reason: entry.reason, revokedAt: entry.revokedAt.getTime() }] as const;
  });
  return {
    issuer: crl.issuer.key,
    thisUpdate: crl.thisUpdate.getTime(),
    nextUpdate: crl.nextUpdate?.getTime(),
    number: crl.number,
    deltaBase: crl.deltaBase,
    authorityKeyId: crl.authorityKeyId,
    scope:
      crl.scope === undefined
        ? undefined
        : {
            onlyUser: crl.scope.onlyUser,
            onlyCa: crl.scope.onlyCa,
            onlyAttribute: crl.scope.onlyAttribute,
            indirect: crl.scope.indirect,
            onlySomeReasons: crl.scope.onlySomeReasons,
          },
    count: crl.revoked.count,
    entries: new Map(entries),
  };
}

function fromReference(reference: ReferenceCrl) {
  return { ...reference, count: reference.entries.size, entries: new Map(reference.entries) };
}

function compare(name: string, der: Uint8Array): void {
  const decoded = decodeCrl(der);
  assert.ok(decoded.ok, `${name}: ${decoded.ok ? "" : decoded.why}`);
  const reference = referenceCrl(der);
  assert.deepEqual(fromReader(decoded.crl, reference), fromReference(reference), name);
}

describe("the streaming CRL reader against asn1-x509", () => {
  it("reads every NIST PKITS CRL as asn1-x509 does", () => {
    const files = readdirSync(PKITS).filter((file) => file.endsWith(".crl"));
    assert.ok(files.length > 150);
    for (const file of files) compare(file, new Uint8Array(readFileSync(new URL(file, PKITS))));
  });

  describe("generated CRLs", () => {
    let pki: TestPki;
    before(async () => {
      pki = await newPki();
    });
    const FRESH = { thisUpdate: new Date("2026-05-31T00:00:00Z"), nextUpdate: new Date("2026-06-07T00:00:00Z") };

    it("with every reason, duplicate and unsorted serials, and no entries at all", async () => {
      const reasons = [0, 1, 2, 3, 4, 5, 6, 8, 9, 10].map((reason, i) => ({
        serialNumber: (0x90 - i).toString(16),
        reason: reason as X509CrlReason,
        revokedAt: new Date(AT.getTime() - i * 1000),
      }));
      compare("reasons", await issueCrl(pki.intermediate, { ...FRESH, entries: reasons }));
      const reason = (code: number) => new Extension("2.5.29.21", false, new Uint8Array([0x0a, 0x01, code]));
      const duplicated = [
        { serial: "90" },
        { serial: "0a" },
        { serial: "90", extensions: [reason(4)] },
        { serial: "05" },
        { serial: "ff01" },
        { serial: "00" },
      ];
      compare("duplicates, unsorted, negative and zero serials", rawCrl(pki.intermediate, { ...FRESH, entries: duplicated }));
      compare("empty", await issueCrl(pki.intermediate, { ...FRESH }));
      compare(
        "long serials",
        await issueCrl(pki.intermediate, { ...FRESH, entries: [{ serialNumber: "7f".repeat(20) }, { serialNumber: "00ff".padEnd(40, "1") }] }),
      );
    });

    it("indirect, with certificateIssuer changing the issuer of the entries after it", () => {
      const entries = [
        { serial: "01" },
        { serial: "02", extensions: [certificateIssuerExtension([["2.5.4.3", "other-ca"]])] },
        { serial: "03" },
        { serial: "01", extensions: [certificateIssuerExtension([["2.5.4.3", "third-ca"]])] },
        { serial: "02", extensions: [certificateIssuerExtension([["2.5.4.3", "other-ca"]])] },
      ];
      compare("indirect", rawCrl(pki.intermediate, { ...FRESH, entries, extensions: [issuingDistributionPointExtension({ indirect: true })] }));
    });

    it("delta CRLs, scopes and reason subsets", async () => {
      compare(
        "delta",
        await issueCrl(pki.intermediate, { ...FRESH, number: 7, deltaOf: 5, entries: [{ serialNumber: "0a", reason: X509CrlReason.removeFromCRL }] }),
      );
      compare(
        "scoped",
        await issueCrl(pki.intermediate, {
          ...FRESH,
          extraExtensions: [issuingDistributionPointExtension({ fullName: [{ uri: "http://crl.example/a.crl" }], onlyUser: true, onlySomeReasons: 0b10 })],
        }),
      );
      compare("ca only", await issueCrl(pki.intermediate, { ...FRESH, extraExtensions: [issuingDistributionPointExtension({ onlyCa: true })] }));
    });
  });
});

describe("a CRL without nextUpdate (as BouncyCastle-based CAs issue)", () => {
  it("lists its revoked serials, as `openssl crl -text` does (the CRL the old decoder read as empty)", async () => {
    const pki = await newPki();
    const der = rawCrl(pki.intermediate, { thisUpdate: new Date("2026-05-31T00:00:00Z"), entries: ["0a1b", "0c2d", "0e3f"].map((serial) => ({ serial })) });
    const decoded = decodeCrl(der);
    assert.ok(decoded.ok, decoded.ok ? "" : decoded.why);
    assert.equal(decoded.crl.nextUpdate, undefined);
    assert.equal(decoded.crl.revoked.count, 3);
    for (const serial of ["0A1B", "0C2D", "0E3F"]) assert.ok(decoded.crl.revoked.lookup(decoded.crl.issuer.key, serialBytes(serial)), serial);
    assert.equal(decoded.crl.revoked.lookup(decoded.crl.issuer.key, serialBytes("0A1C")), undefined);
    const dir = mkdtempSync(join(tmpdir(), "certgate-crl-"));
    writeFileSync(join(dir, "no-next-update.crl"), der);
    const text = execFileSync("openssl", ["crl", "-inform", "DER", "-in", join(dir, "no-next-update.crl"), "-noout", "-text"], { encoding: "utf8" });
    for (const serial of ["0A1B", "0C2D", "0E3F"]) assert.match(text, new RegExp(`Serial Number: ${serial}`));
    assert.match(text, /Next Update: NONE/);
  });
});
