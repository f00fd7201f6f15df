// The RFC 5280 profiles: one generated certificate per rule, under the default
// "rfc5280" (accepts and warns, or refuses where a chain would prove something it
// should not) and under "strict" (refuses every broken rule), with the code and the
// certificate each names; then what strict does exactly (only the path's
// certificates, every rule in one refusal), pinned client certificates and CNs read
// as host names under DNS constraints.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { AsnConvert } from "@peculiar/asn1-schema";
import { SubjectAlternativeName } from "@peculiar/asn1-x509";
import { ConfigError } from "../../../src/config/config.ts";
import { parseConfig } from "../../../src/config/load.ts";
import { loadTrustStore } from "../../../src/config/trust-material.ts";
import { Authority, OID_CLIENT_AUTH, OID_SERVER_AUTH, generateKeys, type IssueOptions, type Issued } from "../../../src/devpki/ca.ts";
import { issueCrl } from "../../../src/devpki/revocation.ts";
import { AuthorityKeyIdentifierExtension, Extension, KeyUsageFlags, SubjectKeyIdentifierExtension, X509CrlReason } from "../../../src/devpki/x509.ts";
import { verifyPath } from "../../../src/pki/path/build.ts";
import type { PathResult } from "../../../src/pki/path/validate.ts";
import { PROFILE_RULES, profileNamed, type Profile } from "../../../src/pki/path/profile.ts";
import { RevocationStore } from "../../../src/pki/revocation/store.ts";
import { createTrustStore } from "../../../src/pki/path/trust-store.ts";
import { createValidator } from "../../../src/validator/validator.ts";
import { basicConstraintsExtension, generalName, nameConstraintsExtension, policyConstraintsExtension, type NameSpec } from "../../helpers/extensions.ts";
import { AT, VALID, crlOf, decoded, newPki, trustStoreOf, type TestPki } from "../../helpers/pki.ts";
import { settingsFor } from "../../helpers/scenarios.ts";

const AKI = "2.5.29.35";
const SKI = "2.5.29.14";

function sanExtension(names: NameSpec[], critical: boolean): Extension {
  return new Extension("2.5.29.17", critical, AsnConvert.serialize(new SubjectAlternativeName(names.map(generalName))));
}

interface Chain {
  readonly certificates: readonly (Issued | Authority | Uint8Array)[];
  readonly anchor: Authority;
}

interface Case {
  readonly name: string;
  /** The profile rule (PROFILE_RULES id) or name-constraint rule the case shows. */
  readonly rule: string;
  readonly chain: () => Promise<Chain>;
  /** "OK", "OK rule@index ..." (accepted with these warnings) or "CODE@index". */
  readonly rfc5280: string;
  readonly strict: string;
  /** Default "client"; "any" where the client-purpose check would refuse first. */
  readonly purpose?: "any";
}

const der = (item: Issued | Authority | Uint8Array) => (item instanceof Uint8Array ? item : item.der);

/** The outcome in the table's notation. */
function outcome(result: PathResult): string {
  if (!result.ok) return `${result.reason}@${result.certIndex}`;
  return ["OK", ...result.nonconformance.map((found) => `${found.rule}@${found.certIndex}`)].join(" ");
}

function verify(chain: Chain, profile: Profile, purpose: "client" | "any" = "client"): PathResult {
  return verifyPath(
    chain.certificates.map((c) => decoded(der(c))),
    trustStoreOf([chain.anchor]),
    { at: AT, maxChainLength: 8, allowSha1: false, purpose, profile },
  );
}

describe("RFC 5280 profiles (truststore.profile)", () => {
  let pki: TestPki;
  let root: Authority;
  before(async () => {
    pki = await newPki();
    root = pki.root;
  });

  const underIntermediate = async (leaf: Partial<IssueOptions>, ca: Partial<IssueOptions> = {}): Promise<Chain> => {
    const intermediate = await root.intermediate({ subject: "CN=profile-ca, O=certgate", ...VALID, ...ca });
    const cert = await intermediate.client({ subject: "CN=leaf, O=certgate", ...VALID, ...leaf });
    return { certificates: [cert, intermediate], anchor: root };
  };
  const constrained = (constraint: Parameters<typeof nameConstraintsExtension>[0], leaf: Partial<IssueOptions>) =>
    underIntermediate(leaf, { extraExtensions: [nameConstraintsExtension(constraint)] });
  /** A leaf re-signed with a serial no issuing option makes (zero, negative). */
  const withSerial = async (serial: number[]): Promise<Chain> => {
    const intermediate = await root.intermediate({ subject: "CN=profile-ca, O=certgate", ...VALID });
    const leaf = await intermediate.client({ subject: "CN=leaf, O=certgate", ...VALID });
    const resigned = intermediate.resign(leaf.der, (tbs) => {
      tbs.serialNumber = new Uint8Array(serial).buffer;
    });
    return { certificates: [resigned, intermediate], anchor: root };
  };

  const cases: Case[] = [
    {
      name: "4.2.1.1: a certificate that is not self-signed without authorityKeyIdentifier",
      rule: "authority-key-identifier-missing",
      chain: () => underIntermediate({ omitExtensions: [AKI] }),
      rfc5280: "OK authority-key-identifier-missing@0",
      strict: "NONCONFORMING_CERTIFICATE@0",
    },
    {
      name: "4.2.1.1: authorityKeyIdentifier marked critical (OpenSSL and Java refuse it as unhandled)",
      rule: "critical extensions understood",
      chain: async () => {
        const intermediate = await root.intermediate({ subject: "CN=profile-ca, O=certgate", ...VALID });
        const criticalAki = await AuthorityKeyIdentifierExtension.create(intermediate.issued.keys.publicKey, true);
        return {
          certificates: [await intermediate.client({ subject: "CN=leaf, O=certgate", ...VALID, extraExtensions: [criticalAki] }), intermediate],
          anchor: root,
        };
      },
      rfc5280: "UNKNOWN_CRITICAL_EXTENSION@0",
      strict: "UNKNOWN_CRITICAL_EXTENSION@0",
    },
    {
      name: "4.2.1.2: subjectKeyIdentifier marked critical",
      rule: "critical extensions understood",
      chain: async () => {
        const keys = await generateKeys("ecdsa-p256");
        const criticalSki = await SubjectKeyIdentifierExtension.create(keys.publicKey, true);
        return underIntermediate({}, { keys, extraExtensions: [criticalSki] });
      },
      rfc5280: "UNKNOWN_CRITICAL_EXTENSION@1",
      strict: "UNKNOWN_CRITICAL_EXTENSION@1",
    },
    {
      name: "4.2.1.2: a CA certificate without subjectKeyIdentifier",
      rule: "subject-key-identifier-missing",
      chain: () => underIntermediate({}, { omitExtensions: [SKI] }),
      rfc5280: "OK subject-key-identifier-missing@1",
      strict: "NONCONFORMING_CERTIFICATE@1",
    },
    {
      name: "4.2.1.9: a CA certificate whose basicConstraints is not critical (keytool, easy-rsa 2)",
      rule: "basic-constraints-not-critical",
      chain: () => underIntermediate({}, { extraExtensions: [basicConstraintsExtension(true, false)] }),
      rfc5280: "OK basic-constraints-not-critical@1",
      strict: "NONCONFORMING_CERTIFICATE@1",
    },
    {
      name: "4.2.1.9: a trust anchor without basicConstraints (a version 1 style root)",
      rule: "basic-constraints-missing",
      chain: async () => {
        const legacy = await Authority.root({ subject: "CN=legacy-root, O=certgate", ...VALID, ca: undefined, keyUsage: undefined });
        return { certificates: [await legacy.client({ subject: "CN=leaf, O=certgate", ...VALID })], anchor: legacy };
      },
      rfc5280: "OK basic-constraints-missing@-1",
      strict: "NONCONFORMING_CERTIFICATE@-1",
    },
    {
      name: "4.2.1.9: an intermediate without basicConstraints cannot issue in any profile",
      rule: "basicConstraints cA (6.1.4 (k))",
      chain: () => underIntermediate({}, { omitExtensions: ["2.5.29.19"] }),
      rfc5280: "NOT_A_CA@1",
      strict: "NOT_A_CA@1",
    },
    {
      name: "4.2.1.11: policyConstraints not marked critical",
      rule: "policy-constraints-not-critical",
      chain: () => underIntermediate({}, { extraExtensions: [policyConstraintsExtension({ inhibitPolicyMapping: 1, critical: false })] }),
      rfc5280: "OK policy-constraints-not-critical@1",
      strict: "NONCONFORMING_CERTIFICATE@1",
    },
    {
      name: "4.2.1.3: an end entity asserting keyCertSign (it still cannot issue)",
      rule: "key-cert-sign-without-ca",
      chain: () => underIntermediate({ keyUsage: KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign }),
      rfc5280: "OK key-cert-sign-without-ca@0",
      strict: "NONCONFORMING_CERTIFICATE@0",
    },
    {
      name: "4.2.1.12: an empty extendedKeyUsage",
      rule: "extended-key-usage-empty",
      chain: () => underIntermediate({ extraExtensions: [new Extension("2.5.29.37", false, new Uint8Array([0x30, 0x00]))] }),
      purpose: "any",
      rfc5280: "OK extended-key-usage-empty@0",
      strict: "NONCONFORMING_CERTIFICATE@0",
    },
    {
      name: "4.2.1.12: an empty extendedKeyUsage allows no purpose: refused for TLS clients in any profile",
      rule: "extendedKeyUsage allows the purpose",
      chain: () => underIntermediate({ extraExtensions: [new Extension("2.5.29.37", false, new Uint8Array([0x30, 0x00]))] }),
      rfc5280: "EXTENDED_KEY_USAGE_INVALID@0",
      strict: "EXTENDED_KEY_USAGE_INVALID@0",
    },
    {
      name: "4.2.1.10: nameConstraints in an end-entity certificate",
      rule: "name-constraints-in-end-entity",
      chain: () => underIntermediate({ extraExtensions: [nameConstraintsExtension({ permitted: [{ dns: "example.com" }] })] }),
      rfc5280: "OK name-constraints-in-end-entity@0",
      strict: "NONCONFORMING_CERTIFICATE@0",
    },
    {
      name: "4.1.2.6: an empty subject with a non-critical subjectAltName",
      rule: "empty-subject-without-critical-san",
      chain: () => underIntermediate({ subject: "", extraExtensions: [sanExtension([{ dns: "leaf.example.com" }], false)] }),
      rfc5280: "OK empty-subject-without-critical-san@0",
      strict: "NONCONFORMING_CERTIFICATE@0",
    },
    {
      name: "4.1.2.6: an empty subject with a critical subjectAltName is conforming",
      rule: "empty-subject-without-critical-san",
      chain: () => underIntermediate({ subject: "", extraExtensions: [sanExtension([{ dns: "leaf.example.com" }], true)] }),
      rfc5280: "OK",
      strict: "OK",
    },
    {
      name: "4.1.2.6: a CA certificate with an empty subject",
      rule: "ca-subject-empty",
      chain: async () => {
        const anonymous = await root.intermediate({ subject: "", ...VALID, extraExtensions: [sanExtension([{ dns: "ca.example.com" }], true)] });
        return { certificates: [await anonymous.client({ subject: "CN=leaf, O=certgate", ...VALID }), anonymous], anchor: root };
      },
      rfc5280: "OK ca-subject-empty@1",
      strict: "NONCONFORMING_CERTIFICATE@1",
    },
    {
      name: "4.1.2.2: serial number 0",
      rule: "serial-number-not-positive",
      chain: () => withSerial([0x00]),
      rfc5280: "OK serial-number-not-positive@0",
      strict: "NONCONFORMING_CERTIFICATE@0",
    },
    {
      name: "4.1.2.2: a negative serial number",
      rule: "serial-number-not-positive",
      chain: () => withSerial([0xfe, 0x01]),
      rfc5280: "OK serial-number-not-positive@0",
      strict: "NONCONFORMING_CERTIFICATE@0",
    },
    {
      name: "4.1.2.2: a serial number of 21 octets",
      rule: "serial-number-too-long",
      chain: () => underIntermediate({ serialNumber: "7f" + "11".repeat(20) }),
      rfc5280: "OK serial-number-too-long@0",
      strict: "NONCONFORMING_CERTIFICATE@0",
    },
    {
      name: "4.1.2.2: a serial number of 20 octets with its top bit set is conforming",
      rule: "serial-number-too-long",
      chain: () => underIntermediate({ serialNumber: "ff" + "11".repeat(19) }),
      rfc5280: "OK",
      strict: "OK",
    },
    {
      name: "4.2.1.10: a dNSName constraint with a leading period means the names below it",
      rule: "name-constraint-dns-leading-period",
      chain: () => constrained({ permitted: [{ dns: ".example.com" }] }, { dnsNames: ["a.example.com"] }),
      rfc5280: "OK name-constraint-dns-leading-period@1",
      strict: "NONCONFORMING_CERTIFICATE@1",
    },
    {
      name: "4.2.1.10: a leading-period dNSName constraint does not cover the domain itself",
      rule: "name-constraint-dns-leading-period",
      chain: () => constrained({ permitted: [{ dns: ".example.com" }] }, { dnsNames: ["example.com"] }),
      rfc5280: "NAME_CONSTRAINT_VIOLATION@0",
      strict: "NAME_CONSTRAINT_VIOLATION@0",
    },
    {
      name: "4.2.1.10: a dNSName constraint that is not a DNS name is malformed",
      rule: "name constraint syntax",
      chain: () => constrained({ permitted: [{ dns: "bad_label.example.com" }] }, { dnsNames: ["a.example.com"] }),
      rfc5280: "NAME_CONSTRAINT_VIOLATION@1",
      strict: "NAME_CONSTRAINT_VIOLATION@1",
    },
    {
      name: "4.2.1.10: a dNSName that is not a DNS name, under a DNS constraint",
      rule: "name syntax under a constraint",
      chain: () => constrained({ excluded: [{ dns: "internal.example.com" }] }, { dnsNames: ["bad_name.example.com"] }),
      rfc5280: "NAME_CONSTRAINT_VIOLATION@0",
      strict: "NAME_CONSTRAINT_VIOLATION@0",
    },
    {
      name: "4.2.1.10: the same dNSName without a DNS constraint is not judged",
      rule: "name syntax under a constraint",
      chain: () => constrained({ permitted: [{ ip: "10.0.0.0/8" }] }, { dnsNames: ["bad_name.example.com"] }),
      rfc5280: "OK",
      strict: "OK",
    },
    {
      name: "4.2.1.10: an rfc822Name that is not a mailbox, under an e-mail constraint",
      rule: "name syntax under a constraint",
      chain: () => constrained({ permitted: [{ email: "example.com" }] }, { emails: ["not a mailbox@example.com"] }),
      rfc5280: "NAME_CONSTRAINT_VIOLATION@0",
      strict: "NAME_CONSTRAINT_VIOLATION@0",
    },
    {
      name: "4.2.1.10: a wildcard dNSName is refused when a name it could match is excluded (CVE-2025-61727 class)",
      rule: "wildcard against excluded subtrees",
      chain: () => constrained({ excluded: [{ dns: "bar.example.com" }] }, { dnsNames: ["*.example.com"] }),
      rfc5280: "NAME_CONSTRAINT_VIOLATION@0",
      strict: "NAME_CONSTRAINT_VIOLATION@0",
    },
    {
      name: "4.2.1.10: a wildcard dNSName inside a permitted subtree",
      rule: "wildcard against excluded subtrees",
      chain: () => constrained({ permitted: [{ dns: "example.com" }], excluded: [{ dns: "a.bar.example.com" }] }, { dnsNames: ["*.example.com"] }),
      rfc5280: "OK",
      strict: "OK",
    },
    {
      name: "4.2.1.10: a constraint on a form no name of the path uses is a no-op",
      rule: "unused constraint forms",
      chain: () => constrained({ excluded: [{ registeredId: "1.2.3.4" }] }, { dnsNames: ["a.example.com"] }),
      rfc5280: "OK",
      strict: "OK",
    },
    {
      name: "4.2.1.10: a name of a form certgate cannot compare, under a constraint of that form",
      rule: "unused constraint forms",
      chain: () => constrained({ excluded: [{ registeredId: "1.2.3.4" }] }, { extraExtensions: [sanExtension([{ registeredId: "1.2.3.5" }], false)] }),
      rfc5280: "NAME_CONSTRAINT_VIOLATION@0",
      strict: "NAME_CONSTRAINT_VIOLATION@0",
    },
    {
      name: "DNS constraints apply to a host-name CN when there is no dNSName SAN (OpenSSL, Java)",
      rule: "host-name CN",
      chain: () => constrained({ permitted: [{ dns: "acme.example" }] }, { subject: "CN=evil.example, O=certgate" }),
      rfc5280: "NAME_CONSTRAINT_VIOLATION@0",
      strict: "NAME_CONSTRAINT_VIOLATION@0",
    },
    {
      name: "a host-name CN inside the permitted subtree",
      rule: "host-name CN",
      chain: () => constrained({ permitted: [{ dns: "acme.example" }] }, { subject: "CN=svc.acme.example, O=certgate" }),
      rfc5280: "OK",
      strict: "OK",
    },
    {
      name: "a WSO2 username CN is not a host name",
      rule: "host-name CN",
      chain: () => constrained({ permitted: [{ dns: "acme.example" }] }, { subject: "CN=SECONDARY/john@acme.com, O=certgate" }),
      rfc5280: "OK",
      strict: "OK",
    },
    {
      name: "with a dNSName SAN, the CN is not read as a host name",
      rule: "host-name CN",
      chain: () => constrained({ permitted: [{ dns: "acme.example" }] }, { subject: "CN=evil.example, O=certgate", dnsNames: ["svc.acme.example"] }),
      rfc5280: "OK",
      strict: "OK",
    },
    {
      name: "an excluded subtree applies to a host-name CN too",
      rule: "host-name CN",
      chain: () => constrained({ excluded: [{ dns: "internal.acme.example" }] }, { subject: "CN=DB.Internal.Acme.Example, O=certgate" }),
      rfc5280: "NAME_CONSTRAINT_VIOLATION@0",
      strict: "NAME_CONSTRAINT_VIOLATION@0",
    },
  ];

  for (const c of cases) {
    for (const profile of ["rfc5280", "strict"] as const) {
      it(`${c.name}: ${profile} -> ${c[profile]}`, async () => {
        const result = verify(await c.chain(), profile, c.purpose);
        assert.equal(outcome(result), c[profile], result.ok ? "" : result.message);
        if (!result.ok && result.reason === "NONCONFORMING_CERTIFICATE") assert.match(result.message, /RFC 5280 \d/);
      });
    }
  }

  it("covers every profile rule with a case that warns under rfc5280 and refuses under strict", () => {
    const shown = new Set(cases.filter((c) => c.strict.startsWith("NONCONFORMING") && c.rfc5280.startsWith("OK ")).map((c) => c.rule));
    for (const rule of PROFILE_RULES) assert.ok(shown.has(rule.id), `no case for ${rule.id}`);
  });

  it('"compatible" (before 0.2) is an alias of "rfc5280"', () => {
    assert.equal(profileNamed("compatible"), "rfc5280");
    assert.equal(profileNamed("rfc5280"), "rfc5280");
    assert.equal(profileNamed("strict"), "strict");
    assert.equal(profileNamed("lenient"), undefined);
    assert.equal(profileNamed("toString"), undefined);
  });

  it("strict refuses with every rule every certificate of the path breaks, in one message, naming the first", async () => {
    const intermediate = await root.intermediate({ subject: "CN=sloppy-ca, O=certgate", ...VALID, omitExtensions: [SKI] });
    const leaf = await intermediate.client({
      subject: "CN=leaf, O=certgate",
      ...VALID,
      omitExtensions: [AKI],
      keyUsage: KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign,
    });
    const chain = { certificates: [leaf, intermediate], anchor: root };
    const strict = verify(chain, "strict");
    assert.ok(!strict.ok);
    assert.equal(strict.reason, "NONCONFORMING_CERTIFICATE");
    assert.equal(strict.certIndex, 0);
    for (const rule of ["authority-key-identifier-missing", "key-cert-sign-without-ca", "subject-key-identifier-missing"])
      assert.match(strict.message, new RegExp(rule));
    assert.equal(outcome(verify(chain, "rfc5280")), "OK authority-key-identifier-missing@0 key-cert-sign-without-ca@0 subject-key-identifier-missing@1");
  });

  it("strict judges only the path it validates: a nonconforming alternative issuer in the bundle does not refuse a conforming path", async () => {
    const keys = await generateKeys("ecdsa-p256");
    const subject = "CN=cross-ca, O=certgate";
    const sloppy = await root.intermediate({ subject, ...VALID, keys, extraExtensions: [basicConstraintsExtension(true, false)] });
    const clean = await root.intermediate({ subject, ...VALID, keys });
    const leaf = await clean.client({ subject: "CN=leaf, O=certgate", ...VALID });
    // The sloppy copy comes first, so it is the first candidate path strict refuses.
    const result = verify({ certificates: [leaf, sloppy, clean], anchor: root }, "strict");
    assert.ok(result.ok, result.ok ? "" : result.message);
    assert.equal(result.issuerIndex, 2);
    const onlySloppy = verify({ certificates: [leaf, sloppy], anchor: root }, "strict");
    assert.equal(outcome(onlySloppy), "NONCONFORMING_CERTIFICATE@1");
  });

  it("an undecodable extra certificate in the bundle does not refuse a path that does not need it", async () => {
    const garbage = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);
    const leaf = await pki.client("bundled");
    const validator = createValidator(settingsFor(pki));
    const request = (der: Uint8Array[]) => validator.validate({ chain: { der }, context: "/", method: "GET" }, AT);
    assert.equal(request([leaf.der, garbage, pki.intermediate.der]).reason, "OK");
    const missing = request([leaf.der, garbage]);
    assert.equal(missing.reason, "MALFORMED_CERTIFICATE");
    assert.equal(missing.certIndex, 1);
    assert.equal(request([garbage, pki.intermediate.der]).reason, "MALFORMED_CERTIFICATE");
  });

  describe("pinned self-signed client certificates", () => {
    const selfSignedClient = (options: Partial<IssueOptions> = {}) =>
      Authority.root({
        subject: "CN=pinned-client, O=certgate",
        ...VALID,
        ca: false,
        keyUsage: KeyUsageFlags.digitalSignature,
        extendedKeyUsage: [OID_CLIENT_AUTH],
        ...options,
      });

    it("is trusted for itself only: a path of one, never an issuer", async () => {
      const pinned = await selfSignedClient();
      const trust = createTrustStore([decoded(root.der)], [], [decoded(pinned.der)]);
      const result = verifyPath([decoded(pinned.der)], trust, { at: AT, maxChainLength: 8, allowSha1: false, purpose: "client" });
      assert.ok(result.ok, result.ok ? "" : result.message);
      assert.equal(result.path.length, 1);
      const issuedByPinned = await pinned.issue({ subject: "CN=child, O=certgate", ...VALID, ca: false, extendedKeyUsage: [OID_CLIENT_AUTH] });
      const child = verifyPath([decoded(issuedByPinned.der), decoded(pinned.der)], trust, { at: AT, maxChainLength: 8, allowSha1: false, purpose: "client" });
      // The search ends at the pinned certificate, which anchors nothing.
      assert.equal(outcome(child), "PATH_NOT_FOUND@1");
      const unpinned = verifyPath([decoded(pinned.der)], trustStoreOf([root]), { at: AT, maxChainLength: 8, allowSha1: false, purpose: "client" });
      assert.equal(outcome(unpinned), "SELF_SIGNED_CERTIFICATE@0");
    });

    it("is still checked as a client certificate: validity and purpose", async () => {
      const expired = await selfSignedClient({ notAfter: new Date("2026-02-01T00:00:00Z") });
      const serverOnly = await selfSignedClient({ extendedKeyUsage: [OID_SERVER_AUTH] });
      for (const [pinned, expect] of [
        [expired, "CERTIFICATE_EXPIRED@0"],
        [serverOnly, "EXTENDED_KEY_USAGE_INVALID@0"],
      ] as const) {
        const trust = createTrustStore([], [], [decoded(pinned.der)]);
        assert.equal(outcome(verifyPath([decoded(pinned.der)], trust, { at: AT, maxChainLength: 8, allowSha1: false, purpose: "client" })), expect);
      }
    });

    it("loads from truststore.ca_files with a note; a non-CA that is not self-signed is refused", async () => {
      const pinned = await selfSignedClient();
      const issuedLeaf = await pki.client("not-pinnable");
      const dir = mkdtempSync(join(tmpdir(), "certgate-pinned-"));
      writeFileSync(join(dir, "pinned.pem"), pinned.pem);
      writeFileSync(join(dir, "leaf.pem"), issuedLeaf.pem);
      const config = (file: string) => parseConfig(`[truststore]\nca_files = ["${file}"]\n[intermediate_cert_validation]\nenable = false\n`, "test.toml", dir);
      const notes: string[] = [];
      const trust = loadTrustStore(config("pinned.pem"), notes);
      assert.equal(trust.pinned.length, 1);
      assert.equal(trust.anchors.length, 0);
      assert.ok(
        notes.some((note) => note.includes("pinned client certificate")),
        notes.join("\n"),
      );
      assert.throws(
        () => loadTrustStore(config("leaf.pem")),
        (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.includes("not self-signed")),
      );
    });
  });

  it("4.1.2.5: a certificate is valid through the whole second of its notAfter", async () => {
    const notAfter = new Date("2026-06-01T00:00:00Z");
    const leaf = await pki.client("edge", { notAfter });
    const at = (when: Date) =>
      verifyPath([decoded(leaf.der), decoded(pki.intermediate.der)], trustStoreOf([root]), {
        at: when,
        maxChainLength: 8,
        allowSha1: false,
        purpose: "client",
      });
    assert.ok(at(new Date(notAfter.getTime() + 999)).ok);
    assert.equal(outcome(at(new Date(notAfter.getTime() + 1000))), "CERTIFICATE_EXPIRED@0");
  });

  describe("5.2.3: CRLs without a non-critical cRLNumber", () => {
    const FRESH = { thisUpdate: new Date("2026-05-31T00:00:00Z"), nextUpdate: new Date("2026-06-07T00:00:00Z") };
    async function check(leaf: Issued, crl: Uint8Array, profile: Profile) {
      const store = new RevocationStore();
      for (const bytes of [crl, await issueCrl(root, FRESH)]) store.addCrl(crlOf(bytes));
      const validator = createValidator({ ...settingsFor(pki), profile, revocation: { mode: "require", store, ocsp: false, fetch: false } });
      return validator.validate({ chain: { der: [leaf.der, pki.intermediate.der] }, context: "/", method: "GET" }, AT);
    }

    it("missing cRLNumber (openssl ca -gencrl without a crlnumber file): rfc5280 lets it vouch and warns; strict does not; both revoke", async () => {
      const good = await pki.client("good");
      const revoked = await pki.client("revoked");
      const crl = await issueCrl(pki.intermediate, {
        ...FRESH,
        numberExtension: "none",
        entries: [{ serialNumber: revoked.cert.serialNumber, reason: X509CrlReason.keyCompromise }],
      });
      const vouched = await check(good, crl, "rfc5280");
      assert.equal(vouched.reason, "OK", vouched.message);
      assert.deepEqual(
        vouched.warnings.map((w) => `${w.rule}@${w.certIndex}`),
        ["crl-number-missing@0"],
      );
      const strict = await check(good, crl, "strict");
      assert.equal(strict.reason, "REVOCATION_UNKNOWN");
      assert.match(strict.message, /cRLNumber/);
      for (const profile of ["rfc5280", "strict"] as const) assert.equal((await check(revoked, crl, profile)).reason, "REVOKED");
    });

    it("critical cRLNumber: cannot vouch under either profile (OpenSSL refuses it as unhandled), still revokes", async () => {
      const good = await pki.client("good");
      const revoked = await pki.client("revoked");
      const crl = await issueCrl(pki.intermediate, { ...FRESH, numberExtension: "critical", entries: [{ serialNumber: revoked.cert.serialNumber }] });
      for (const profile of ["rfc5280", "strict"] as const) {
        assert.equal((await check(good, crl, profile)).reason, "REVOCATION_UNKNOWN");
        assert.equal((await check(revoked, crl, profile)).reason, "REVOKED");
      }
    });
  });

  it("a nonconforming trust anchor: a configuration error under strict, a note under rfc5280", async () => {
    const legacy = await Authority.root({ subject: "CN=legacy-root, O=certgate", ...VALID, extraExtensions: [basicConstraintsExtension(true, false)] });
    const dir = mkdtempSync(join(tmpdir(), "certgate-profile-"));
    writeFileSync(join(dir, "root.pem"), legacy.pem);
    const config = (profile: string) =>
      parseConfig(`[truststore]\nca_files = ["root.pem"]\nprofile = "${profile}"\n[intermediate_cert_validation]\nenable = false\n`, "test.toml", dir);
    assert.throws(
      () => loadTrustStore(config("strict")),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((p) => p.startsWith("truststore.ca_files") && p.includes("basic-constraints-not-critical") && p.includes("rfc5280")),
    );
    const notes: string[] = [];
    assert.equal(loadTrustStore(config("rfc5280"), notes).anchors.length, 1);
    assert.ok(
      notes.some((note) => note.includes("basic-constraints-not-critical")),
      notes.join("\n"),
    );
    assert.equal(loadTrustStore(config("compatible")).anchors.length, 1);
    assert.throws(
      () => config("lenient"),
      (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith("truststore.profile")),
    );
  });
});
