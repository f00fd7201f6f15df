// The strict RFC 5280 profile: one generated certificate per rule, under both
// profiles, with the code and the certificate it names.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { AsnConvert } from "@peculiar/asn1-schema";
import { SubjectAlternativeName } from "@peculiar/asn1-x509";
import { ConfigError } from "../../src/config/config.ts";
import { parseConfig } from "../../src/config/load.ts";
import { loadTrustStore } from "../../src/config/trust-material.ts";
import { Authority, type IssueOptions, type Issued } from "../../src/devpki/ca.ts";
import { issueCrl } from "../../src/devpki/revocation.ts";
import { AuthorityKeyIdentifierExtension, Extension, KeyUsageFlags, X509CrlReason } from "../../src/devpki/x509.ts";
import { createRevocationFetcher } from "../../src/fetch/revocation-fetcher.ts";
import { decide } from "../../src/fetch/decide.ts";
import { decodeCrl } from "../../src/pki/crl.ts";
import { verifyPath } from "../../src/pki/path.ts";
import { PROFILE_RULES, type Profile } from "../../src/pki/profile.ts";
import { RevocationStore } from "../../src/pki/revocation-store.ts";
import { createValidator } from "../../src/validator.ts";
import { basicConstraintsExtension, generalName, nameConstraintsExtension, policyConstraintsExtension, type NameSpec } from "../helpers/extensions.ts";
import { AT, VALID, decoded, newPki, trustStoreOf, type TestPki } from "../helpers/pki.ts";
import { settingsFor } from "../helpers/scenarios.ts";

const AKI = "2.5.29.35";
const SKI = "2.5.29.14";

function sanExtension(names: NameSpec[], critical: boolean): Extension {
  return new Extension("2.5.29.17", critical, AsnConvert.serialize(new SubjectAlternativeName(names.map(generalName))));
}

interface Chain {
  readonly certificates: readonly (Issued | Authority)[];
  readonly anchor: Authority;
}

interface Case {
  readonly name: string;
  /** The profile rule (PROFILE_RULES id) or name-constraint rule the case shows. */
  readonly rule: string;
  readonly chain: () => Promise<Chain>;
  readonly strict: string;
  readonly compatible: string;
  /** Default "client"; "any" where the client-purpose check would refuse first. */
  readonly purpose?: "any";
}

describe("RFC 5280 profile (truststore.profile)", () => {
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

  const constrained = (constraint: Parameters<typeof nameConstraintsExtension>[0], leaf: Partial<IssueOptions>) => underIntermediate(leaf, { extraExtensions: [nameConstraintsExtension(constraint)] });

  const cases: Case[] = [
    { name: "4.2.1.1: a certificate that is not self-signed without authorityKeyIdentifier", rule: "authority-key-identifier-missing", chain: () => underIntermediate({ omitExtensions: [AKI] }), strict: "NONCONFORMING_CERTIFICATE@0", compatible: "OK" },
    {
      name: "4.2.1.1: authorityKeyIdentifier marked critical",
      rule: "authority-key-identifier-critical",
      chain: async () => {
        const intermediate = await root.intermediate({ subject: "CN=profile-ca, O=certgate", ...VALID });
        const criticalAki = await AuthorityKeyIdentifierExtension.create(intermediate.issued.keys.publicKey, true);
        return { certificates: [await intermediate.client({ subject: "CN=leaf, O=certgate", ...VALID, extraExtensions: [criticalAki] }), intermediate], anchor: root };
      },
      strict: "NONCONFORMING_CERTIFICATE@0",
      compatible: "OK",
    },
    { name: "4.2.1.2: a CA certificate without subjectKeyIdentifier", rule: "subject-key-identifier-missing", chain: () => underIntermediate({}, { omitExtensions: [SKI] }), strict: "NONCONFORMING_CERTIFICATE@1", compatible: "OK" },
    {
      name: "4.2.1.9: a CA certificate whose basicConstraints is not critical",
      rule: "basic-constraints-not-critical",
      chain: () => underIntermediate({}, { extraExtensions: [basicConstraintsExtension(true, false)] }),
      strict: "NONCONFORMING_CERTIFICATE@1",
      compatible: "OK",
    },
    {
      name: "4.2.1.9: a trust anchor without basicConstraints (a version 1 style root)",
      rule: "basic-constraints-missing",
      chain: async () => {
        const legacy = await Authority.root({ subject: "CN=legacy-root, O=certgate", ...VALID, ca: undefined, keyUsage: undefined });
        return { certificates: [await legacy.client({ subject: "CN=leaf, O=certgate", ...VALID })], anchor: legacy };
      },
      strict: "NONCONFORMING_CERTIFICATE@-1",
      compatible: "OK",
    },
    {
      name: "4.2.1.11: policyConstraints not marked critical",
      rule: "policy-constraints-not-critical",
      chain: () => underIntermediate({}, { extraExtensions: [policyConstraintsExtension({ inhibitPolicyMapping: 1, critical: false })] }),
      strict: "NONCONFORMING_CERTIFICATE@1",
      compatible: "OK",
    },
    {
      name: "4.2.1.3: an end entity asserting keyCertSign",
      rule: "key-cert-sign-without-ca",
      chain: () => underIntermediate({ keyUsage: KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign }),
      strict: "NONCONFORMING_CERTIFICATE@0",
      compatible: "NONCONFORMING_CERTIFICATE@0",
    },
    {
      name: "4.2.1.12: an empty extendedKeyUsage",
      rule: "extended-key-usage-empty",
      chain: () => underIntermediate({ extraExtensions: [new Extension("2.5.29.37", false, new Uint8Array([0x30, 0x00]))] }),
      purpose: "any",
      strict: "NONCONFORMING_CERTIFICATE@0",
      compatible: "NONCONFORMING_CERTIFICATE@0",
    },
    {
      name: "4.2.1.10: nameConstraints in an end-entity certificate",
      rule: "name-constraints-in-end-entity",
      chain: () => underIntermediate({ extraExtensions: [nameConstraintsExtension({ permitted: [{ dns: "example.com" }] })] }),
      strict: "NONCONFORMING_CERTIFICATE@0",
      compatible: "NONCONFORMING_CERTIFICATE@0",
    },
    {
      name: "4.1.2.6: an empty subject with a non-critical subjectAltName",
      rule: "empty-subject-without-critical-san",
      chain: () => underIntermediate({ subject: "", extraExtensions: [sanExtension([{ dns: "leaf.example.com" }], false)] }),
      strict: "NONCONFORMING_CERTIFICATE@0",
      compatible: "NONCONFORMING_CERTIFICATE@0",
    },
    {
      name: "4.1.2.6: an empty subject with a critical subjectAltName is conforming",
      rule: "empty-subject-without-critical-san",
      chain: () => underIntermediate({ subject: "", extraExtensions: [sanExtension([{ dns: "leaf.example.com" }], true)] }),
      strict: "OK",
      compatible: "OK",
    },
    {
      name: "4.1.2.6: a CA certificate with an empty subject",
      rule: "ca-subject-empty",
      chain: async () => {
        const anonymous = await root.intermediate({ subject: "", ...VALID, extraExtensions: [sanExtension([{ dns: "ca.example.com" }], true)] });
        return { certificates: [await anonymous.client({ subject: "CN=leaf, O=certgate", ...VALID }), anonymous], anchor: root };
      },
      strict: "NONCONFORMING_CERTIFICATE@1",
      compatible: "NONCONFORMING_CERTIFICATE@1",
    },
    {
      name: "4.2.1.10: a dNSName constraint with a leading period is malformed",
      rule: "name constraint syntax",
      chain: () => constrained({ permitted: [{ dns: ".example.com" }] }, { dnsNames: ["a.example.com"] }),
      strict: "NAME_CONSTRAINT_VIOLATION@1",
      compatible: "NAME_CONSTRAINT_VIOLATION@1",
    },
    {
      name: "4.2.1.10: a dNSName that is not a DNS name, under a DNS constraint",
      rule: "name syntax under a constraint",
      chain: () => constrained({ excluded: [{ dns: "internal.example.com" }] }, { dnsNames: ["bad_name.example.com"] }),
      strict: "NAME_CONSTRAINT_VIOLATION@0",
      compatible: "NAME_CONSTRAINT_VIOLATION@0",
    },
    {
      name: "4.2.1.10: the same dNSName without a DNS constraint is not judged",
      rule: "name syntax under a constraint",
      chain: () => constrained({ permitted: [{ ip: "10.0.0.0/8" }] }, { dnsNames: ["bad_name.example.com"] }),
      strict: "OK",
      compatible: "OK",
    },
    {
      name: "4.2.1.10: an rfc822Name that is not a mailbox, under an e-mail constraint",
      rule: "name syntax under a constraint",
      chain: () => constrained({ permitted: [{ email: "example.com" }] }, { emails: ["not a mailbox@example.com"] }),
      strict: "NAME_CONSTRAINT_VIOLATION@0",
      compatible: "NAME_CONSTRAINT_VIOLATION@0",
    },
    {
      name: "4.2.1.10: a wildcard dNSName is refused when a name it could match is excluded (CVE-2025-61727 class)",
      rule: "wildcard against excluded subtrees",
      chain: () => constrained({ excluded: [{ dns: "bar.example.com" }] }, { dnsNames: ["*.example.com"] }),
      strict: "NAME_CONSTRAINT_VIOLATION@0",
      compatible: "NAME_CONSTRAINT_VIOLATION@0",
    },
    {
      name: "4.2.1.10: a wildcard dNSName inside a permitted subtree",
      rule: "wildcard against excluded subtrees",
      chain: () => constrained({ permitted: [{ dns: "example.com" }], excluded: [{ dns: "a.bar.example.com" }] }, { dnsNames: ["*.example.com"] }),
      strict: "OK",
      compatible: "OK",
    },
    {
      name: "4.2.1.10: a constraint on a form no name of the path uses is a no-op",
      rule: "unused constraint forms",
      chain: () => constrained({ excluded: [{ registeredId: "1.2.3.4" }] }, { dnsNames: ["a.example.com"] }),
      strict: "OK",
      compatible: "OK",
    },
    {
      name: "4.2.1.10: a name of a form certgate cannot compare, under a constraint of that form",
      rule: "unused constraint forms",
      chain: () => constrained({ excluded: [{ registeredId: "1.2.3.4" }] }, { extraExtensions: [sanExtension([{ registeredId: "1.2.3.5" }], false)] }),
      strict: "NAME_CONSTRAINT_VIOLATION@0",
      compatible: "NAME_CONSTRAINT_VIOLATION@0",
    },
  ];

  for (const { name, chain, strict, compatible, purpose = "client" } of cases) {
    for (const [profile, expect] of [["strict", strict], ["compatible", compatible]] as [Profile, string][]) {
      it(`${name}: ${profile} -> ${expect}`, async () => {
        const { certificates, anchor } = await chain();
        const result = verifyPath(
          certificates.map((c) => decoded(c.der)),
          trustStoreOf([anchor]),
          { at: AT, maxChainLength: 8, allowSha1: false, purpose, profile },
        );
        assert.equal(result.ok ? "OK" : `${result.reason}@${result.certIndex}`, expect, result.ok ? "" : result.message);
        if (!result.ok && result.reason === "NONCONFORMING_CERTIFICATE") assert.match(result.message, /RFC 5280 \d/);
      });
    }
  }

  it("covers every profile rule with a refusing case", () => {
    const shown = new Set(cases.filter((c) => c.strict !== "OK").map((c) => c.rule));
    for (const rule of PROFILE_RULES) assert.ok(shown.has(rule.id), `no case for ${rule.id}`);
  });

  it("4.1.2.5: a certificate is valid through the whole second of its notAfter", async () => {
    const notAfter = new Date("2026-06-01T00:00:00Z");
    const leaf = await pki.client("edge", { notAfter });
    const verify = (at: Date) => verifyPath([decoded(leaf.der), decoded(pki.intermediate.der)], trustStoreOf([root]), { at, maxChainLength: 8, allowSha1: false, purpose: "client" });
    assert.ok(verify(new Date(notAfter.getTime() + 999)).ok);
    const after = verify(new Date(notAfter.getTime() + 1000));
    assert.ok(!after.ok && after.reason === "CERTIFICATE_EXPIRED");
  });

  describe("5.2.3: a CRL without a non-critical cRLNumber", () => {
    const FRESH = { thisUpdate: new Date("2026-05-31T00:00:00Z"), nextUpdate: new Date("2026-06-07T00:00:00Z") };
    const fetcher = createRevocationFetcher({ timeoutMs: 300, maxBytes: 1 << 20, failureBackoffMs: 60_000 });
    async function check(leaf: Issued, crl: Uint8Array) {
      const store = new RevocationStore();
      for (const der of [crl, await issueCrl(root, FRESH)]) store.addCrl(decodeCrl(der) as Exclude<ReturnType<typeof decodeCrl>, string>);
      const validator = createValidator({ ...settingsFor(pki), revocation: { mode: "require", store, ocsp: false, fetch: false } });
      return decide(validator, { chain: { der: [leaf.der, pki.intermediate.der] }, context: "/", method: "GET" }, () => AT, fetcher);
    }

    for (const numberExtension of ["none", "critical"] as const) {
      it(`${numberExtension === "none" ? "missing" : "critical"} cRLNumber: cannot vouch, still revokes what it lists`, async () => {
        const good = await pki.client("good");
        const revoked = await pki.client("revoked");
        const crl = await issueCrl(pki.intermediate, { ...FRESH, numberExtension, entries: [{ serialNumber: revoked.cert.serialNumber, reason: X509CrlReason.keyCompromise }] });
        const unknown = await check(good, crl);
        assert.equal(unknown.reason, "REVOCATION_UNKNOWN");
        assert.match(unknown.message, /cRLNumber/);
        assert.equal((await check(revoked, crl)).reason, "REVOKED");
      });
    }
  });

  it("refuses at start a trust anchor the configured profile refuses, and names the key and the remedy", async () => {
    const legacy = await Authority.root({ subject: "CN=legacy-root, O=certgate", ...VALID, extraExtensions: [basicConstraintsExtension(true, false)] });
    const dir = mkdtempSync(join(tmpdir(), "certgate-profile-"));
    writeFileSync(join(dir, "root.pem"), legacy.pem);
    const config = (profile: string) => parseConfig(`[truststore]\nca_files = ["root.pem"]\nprofile = "${profile}"\n[intermediate_cert_validation]\nenable = false\n`, "test.toml", dir);
    assert.throws(
      () => loadTrustStore(config("strict")),
      (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith("truststore.ca_files") && p.includes("basicConstraints") && p.includes("compatible")),
    );
    assert.equal(loadTrustStore(config("compatible")).anchors.length, 1);
    assert.throws(() => config("lenient"), (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith("truststore.profile")));
  });
});
