// Attacker-controlled bytes into every parser: nothing throws, nothing allows.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { decodeCertificate } from "../../src/pki/certificate/certificate.ts";
import { chainFromClientCertFields } from "../../src/forwarded/client-cert-field.ts";
import { certificatesFromHeader } from "../../src/forwarded/header-certificate.ts";
import { decodePemChain } from "../../src/pki/pem.ts";
import { chainFromXfcc } from "../../src/forwarded/xfcc.ts";
import { normaliseRequestPath } from "../../src/policy/request-path.ts";
import { principalFromName } from "../../src/principal/principal.ts";
import { createValidator } from "../../src/validator/validator.ts";
import { AT } from "../helpers/pki.ts";
import { buildScenarios, settingsFor } from "../helpers/scenarios.ts";

const RUNS = { numRuns: 400 };
const pathChars = fc.constantFrom("/", ".", "..", "%", "%2e", "%2F", "%25", "a", "scim2", "?", "#", "\\\\", "%00", "é", "//");

describe("parsers under random input", () => {
  it("normaliseRequestPath never throws, is idempotent and never yields a dot segment", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(pathChars).map((parts) => "/" + parts.join("")),
        ),
        (raw) => {
          const once = normaliseRequestPath(raw);
          if (!once.ok) return;
          const twice = normaliseRequestPath(once.path);
          assert.ok(twice.ok);
          assert.equal(twice.path, once.path);
          assert.ok(!once.segments.some((s) => s === "." || s === ".." || s === ""));
        },
      ),
      RUNS,
    );
  });

  it("principalFromName round-trips every well-formed CN format through its qualified name", () => {
    const word = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,8}$/);
    const tenant = fc.stringMatching(/^[a-z][a-z0-9]{0,6}\.(com|org)$/);
    fc.assert(
      fc.property(fc.option(fc.stringMatching(/^[A-Z][A-Z0-9]{0,6}$/)), word, fc.option(tenant), (store, user, ten) => {
        const cn = `${store === null ? "" : store + "/"}${user}${ten === null ? "" : "@" + ten}`;
        const first = principalFromName(cn, { emailUsername: false });
        assert.ok(first.ok, cn);
        const again = principalFromName(first.principal.qualifiedUsername, { emailUsername: false });
        assert.ok(again.ok);
        assert.deepEqual(again.principal, first.principal);
      }),
      RUNS,
    );
  });

  it("XFCC, RFC 9440, header and PEM parsers never throw", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        chainFromXfcc(text, 16);
        chainFromXfcc(text.replace(/^/, "Cert="), 16);
        chainFromClientCertFields(text, text, 8);
        certificatesFromHeader(text, "x-ssl-cert", 32);
        decodePemChain(text);
        decodePemChain(`-----BEGIN CERTIFICATE-----\n${text}\n-----END CERTIFICATE-----`);
      }),
      RUNS,
    );
  });
});

describe("mutated certificates", async () => {
  const { pki, scenarios } = await buildScenarios();
  const valid = scenarios.find((s) => s.name === "valid chain as DER")!.chain as { der: Uint8Array[] };
  let validator: ReturnType<typeof createValidator>;
  before(() => {
    validator = createValidator(settingsFor(pki));
  });

  it("decodeCertificate never throws on flipped, cut or extended DER", () => {
    const leaf = valid.der[0]!;
    fc.assert(
      fc.property(fc.nat(leaf.length - 1), fc.integer({ min: 1, max: 255 }), fc.nat(leaf.length), fc.uint8Array({ maxLength: 4 }), (at, xor, cut, tail) => {
        const bytes = new Uint8Array(leaf);
        bytes[at] = bytes[at]! ^ xor;
        decodeCertificate(bytes);
        decodeCertificate(leaf.slice(0, cut));
        decodeCertificate(new Uint8Array([...leaf, ...tail]));
      }),
      RUNS,
    );
  });

  it("never allows a chain with any byte of the leaf changed", () => {
    const leaf = valid.der[0]!;
    fc.assert(
      fc.property(fc.nat(leaf.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const bytes = new Uint8Array(leaf);
        bytes[at] = bytes[at]! ^ xor;
        const decision = validator.validate({ chain: { der: [bytes, valid.der[1]!] }, context: "/", method: "GET" }, AT);
        assert.equal(decision.allowed, false, `byte ${at} ^ ${xor} was allowed`);
      }),
      RUNS,
    );
  });
});
