import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, it } from "node:test";
import { Extension, KeyUsageFlags } from "../../../src/devpki/x509.ts";
import { Authority, OID_CLIENT_AUTH, OID_SERVER_AUTH, generateKeys, type Issued } from "../../../src/devpki/ca.ts";
import { verifyPath } from "../../../src/pki/path/build.ts";
import type { Purpose, VerifyOptions } from "../../../src/pki/path/validate.ts";
import { createTrustStore, type TrustStore } from "../../../src/pki/path/trust-store.ts";
import type { FailureReason } from "../../../src/reason.ts";
import { AT, VALID, decoded, newPki, trustStoreOf, type TestPki } from "../../helpers/pki.ts";

const OPTIONS: VerifyOptions = { at: AT, maxChainLength: 8, allowSha1: false, purpose: "client" };

function verify(chain: readonly (Issued | Authority)[], trust: TrustStore, options: Partial<VerifyOptions> = {}) {
  return verifyPath(
    chain.map((c) => decoded(c.der)),
    trust,
    { ...OPTIONS, ...options },
  );
}

function expectFailure(result: ReturnType<typeof verify>, reason: FailureReason, certIndex?: number): void {
  assert.equal(result.ok, false, `expected ${reason}, the path verified`);
  if (result.ok) return;
  assert.equal(result.reason, reason, result.message);
  if (certIndex !== undefined) assert.equal(result.certIndex, certIndex, result.message);
}

describe("verifyPath", () => {
  let pki: TestPki;
  let trust: TrustStore;
  before(async () => {
    pki = await newPki();
    trust = trustStoreOf([pki.root]);
  });

  it("accepts leaf + intermediate to the root, returning the issuer and the full path", async () => {
    const leaf = await pki.client("alice");
    const result = verify([leaf, pki.intermediate], trust);
    assert.ok(result.ok, result.ok ? "" : result.message);
    assert.equal(result.issuer.subject.commonNames[0], "certgate-dev-intermediate");
    assert.equal(result.issuerIndex, 1);
    assert.deepEqual(
      result.path.map((c) => c.subject.commonNames[0]),
      ["alice", "certgate-dev-intermediate", "certgate-test-root"],
    );
  });

  it("accepts a chain in the wrong order, with duplicates and unrelated extras", async () => {
    const leaf = await pki.client("alice");
    const extra = await pki.client("someone-else");
    assert.ok(verify([leaf, pki.root, extra, pki.intermediate, pki.intermediate], trust).ok);
  });

  it("completes the path from the intermediate pool when only the leaf is sent", async () => {
    const leaf = await pki.client("alice");
    expectFailure(verify([leaf], trust), "PATH_NOT_FOUND", 0);
    const result = verify([leaf], trustStoreOf([pki.root], [pki.intermediate]));
    assert.ok(result.ok);
    assert.equal(result.issuerIndex, -1);
  });

  it("accepts every supported signature algorithm", async () => {
    for (const keyAlgorithm of ["ecdsa-p384", "ecdsa-p521", "rsa-2048", "rsa-pss-2048", "ed25519"] as const) {
      const root = await Authority.root({ subject: `CN=root-${keyAlgorithm}`, ...VALID, keyAlgorithm });
      const ca = await root.intermediate({ subject: `CN=ca-${keyAlgorithm}`, ...VALID, keyAlgorithm });
      const leaf = await ca.client({ subject: "CN=alice", ...VALID, keyAlgorithm });
      const result = verify([leaf, ca], trustStoreOf([root]));
      assert.ok(result.ok, `${keyAlgorithm}: ${result.ok ? "" : result.message}`);
    }
  });

  const timeCases: { name: string; at: Date; expect: FailureReason }[] = [
    { name: "before notBefore", at: new Date("2025-12-31T23:59:59Z"), expect: "CERTIFICATE_NOT_YET_VALID" },
    { name: "after notAfter", at: new Date("2028-01-01T00:00:01Z"), expect: "CERTIFICATE_EXPIRED" },
  ];
  for (const { name, at, expect } of timeCases) {
    it(`refuses a path used ${name} (${expect})`, async () => {
      expectFailure(verify([await pki.client("alice"), pki.intermediate], trust, { at }), expect);
    });
  }

  it("accepts the last second of validity (notAfter is inclusive)", async () => {
    assert.ok(verify([await pki.client("alice"), pki.intermediate], trust, { at: VALID.notAfter }).ok);
  });

  it("names the expired certificate: the leaf, or an intermediate", async () => {
    const expiredLeaf = await pki.client("old", { notAfter: new Date("2026-03-01T00:00:00Z") });
    expectFailure(verify([expiredLeaf, pki.intermediate], trust), "CERTIFICATE_EXPIRED", 0);
    const expiredCa = await pki.root.intermediate({ subject: "CN=old-ca", notBefore: VALID.notBefore, notAfter: new Date("2026-03-01T00:00:00Z") });
    expectFailure(verify([await pki.client("alice", {}, expiredCa), expiredCa], trust), "CERTIFICATE_EXPIRED", 1);
  });

  it("refuses a self-signed leaf that is not an anchor (SELF_SIGNED_CERTIFICATE)", async () => {
    const self = await Authority.root({ subject: "CN=me", ...VALID, ca: false, keyUsage: KeyUsageFlags.digitalSignature });
    expectFailure(verify([self], trust), "SELF_SIGNED_CERTIFICATE", 0);
  });

  it("refuses a chain to an untrusted root (PATH_NOT_FOUND)", async () => {
    const leaf = await pki.client("eve", {}, pki.otherRoot);
    expectFailure(verify([leaf], trust), "PATH_NOT_FOUND", 0);
    expectFailure(verify([leaf, pki.otherRoot], trust), "PATH_NOT_FOUND", 1);
  });

  it("refuses a certificate claiming a trusted issuer's name but signed by another key (BAD_SIGNATURE)", async () => {
    const impostor = await Authority.root({ subject: "CN=certgate-dev-intermediate, O=certgate", ...VALID });
    const leaf = await impostor.client({ subject: "CN=alice", ...VALID });
    // Its authorityKeyIdentifier names the impostor's key, so the real intermediate is never a candidate.
    expectFailure(verify([leaf], trustStoreOf([pki.root], [pki.intermediate])), "PATH_NOT_FOUND", 0);
    const forged = await pki.intermediate.client({ subject: "CN=alice", ...VALID });
    const tampered = new Uint8Array(forged.der);
    tampered[tampered.length - 5] = tampered[tampered.length - 5]! ^ 0xff; // flip a signature byte
    expectFailure(verifyPath([decoded(tampered), decoded(pki.intermediate.der)], trust, OPTIONS), "BAD_SIGNATURE", 0);
  });

  it("refuses an intermediate with cA=FALSE or no basicConstraints (NOT_A_CA)", async () => {
    for (const ca of [false, undefined]) {
      const notCa = await pki.root.issue({ subject: `CN=not-a-ca-${ca}`, ...VALID, ca, keyUsage: KeyUsageFlags.keyCertSign });
      const leaf = await new Authority(notCa).client({ subject: "CN=alice", ...VALID });
      expectFailure(verify([leaf, notCa], trust), "NOT_A_CA", 1);
    }
  });

  it("refuses an intermediate whose keyUsage lacks keyCertSign (KEY_USAGE_INVALID)", async () => {
    const ca = await pki.root.intermediate({ subject: "CN=no-cert-sign", ...VALID, keyUsage: KeyUsageFlags.cRLSign });
    expectFailure(verify([await pki.client("alice", {}, ca), ca], trust), "KEY_USAGE_INVALID", 1);
  });

  it("enforces pathLenConstraint and ignores self-issued certificates in the count", async () => {
    // pki.intermediate has pathLen 0: one more CA below it is one too many.
    const sub = await pki.intermediate.intermediate({ subject: "CN=sub-ca", ...VALID });
    expectFailure(verify([await pki.client("alice", {}, sub), sub, pki.intermediate], trust), "PATH_LENGTH_EXCEEDED", 2);
    const rootPathLen0 = await Authority.root({ subject: "CN=strict-root", ...VALID, pathLength: 0 });
    const mid = await rootPathLen0.intermediate({ subject: "CN=mid", ...VALID });
    expectFailure(verify([await mid.client({ subject: "CN=alice", ...VALID }), mid], trustStoreOf([rootPathLen0])), "PATH_LENGTH_EXCEEDED", -1);
    const rootPathLen1 = await Authority.root({ subject: "CN=root-1", ...VALID, pathLength: 1 });
    const ok = await rootPathLen1.intermediate({ subject: "CN=mid-1", ...VALID });
    assert.ok(verify([await ok.client({ subject: "CN=alice", ...VALID }), ok], trustStoreOf([rootPathLen1])).ok);
  });

  it("refuses an unknown critical extension and accepts an unknown non-critical one", async () => {
    const critical = await pki.client("alice", { extraExtensions: [new Extension("1.3.6.1.4.1.99999.1", true, new Uint8Array([5, 0]))] });
    expectFailure(verify([critical, pki.intermediate], trust), "UNKNOWN_CRITICAL_EXTENSION", 0);
    const plain = await pki.client("alice", { extraExtensions: [new Extension("1.3.6.1.4.1.99999.1", false, new Uint8Array([5, 0]))] });
    assert.ok(verify([plain, pki.intermediate], trust).ok);
  });

  const purposeCases: { name: string; eku: string[] | undefined; purpose: Purpose; ok: boolean }[] = [
    { name: "clientAuth for client", eku: [OID_CLIENT_AUTH], purpose: "client", ok: true },
    { name: "no EKU for client", eku: undefined, purpose: "client", ok: true },
    { name: "anyExtendedKeyUsage for client", eku: ["2.5.29.37.0"], purpose: "client", ok: true },
    { name: "serverAuth only for client", eku: [OID_SERVER_AUTH], purpose: "client", ok: false },
    { name: "serverAuth for server", eku: [OID_SERVER_AUTH], purpose: "server", ok: true },
    { name: "clientAuth for server", eku: [OID_CLIENT_AUTH], purpose: "server", ok: false },
    { name: "serverAuth for any", eku: [OID_SERVER_AUTH], purpose: "any", ok: true },
  ];
  for (const { name, eku, purpose, ok } of purposeCases) {
    it(`extendedKeyUsage: ${name} is ${ok ? "accepted" : "EXTENDED_KEY_USAGE_INVALID"}`, async () => {
      const leaf = await pki.client("alice", { extendedKeyUsage: eku });
      const result = verify([leaf, pki.intermediate], trust, { purpose });
      if (ok) assert.ok(result.ok, result.ok ? "" : result.message);
      else expectFailure(result, "EXTENDED_KEY_USAGE_INVALID", 0);
    });
  }

  it("refuses a client leaf whose keyUsage allows neither digitalSignature nor keyAgreement", async () => {
    const leaf = await pki.client("alice", { keyUsage: KeyUsageFlags.dataEncipherment });
    expectFailure(verify([leaf, pki.intermediate], trust), "KEY_USAGE_INVALID", 0);
  });

  it("refuses SHA-1 signatures unless allow_sha1, and never trusts the anchor's own signature hash", async () => {
    const root = await Authority.root({ subject: "CN=sha1-root", ...VALID, hash: "SHA-1" });
    const ca = await root.intermediate({ subject: "CN=sha1-ca", ...VALID, hash: "SHA-1" });
    const leaf = await ca.client({ subject: "CN=alice", ...VALID });
    expectFailure(verify([leaf, ca], trustStoreOf([root])), "WEAK_SIGNATURE_ALGORITHM", 1);
    assert.ok(verify([leaf, ca], trustStoreOf([root]), { allowSha1: true }).ok);
  });

  it("bounds the path by max_chain_length (CHAIN_TOO_LONG)", async () => {
    const leaf = await pki.client("alice");
    expectFailure(verify([leaf, pki.intermediate], trust, { maxChainLength: 2 }), "CHAIN_TOO_LONG");
    assert.ok(verify([leaf, pki.intermediate], trust, { maxChainLength: 3 }).ok);
    expectFailure(verify([leaf, pki.intermediate, pki.root], trust, { maxChainLength: 2 }), "CHAIN_TOO_LONG");
  });

  it("terminates on an issuer loop (A signs B signs A) with PATH_NOT_FOUND", async () => {
    const keysA = await Authority.root({ subject: "CN=loop-a", ...VALID });
    const b = await keysA.intermediate({ subject: "CN=loop-b", ...VALID });
    const aByB = await b.intermediate({ subject: "CN=loop-a", ...VALID, keys: keysA.issued.keys });
    const leaf = await b.client({ subject: "CN=alice", ...VALID });
    expectFailure(verify([leaf, b, aByB], trust), "PATH_NOT_FOUND");
  });

  it("gives up within its signature budget when many same-named candidates do not verify", async () => {
    const decoys = await Promise.all(
      Array.from({ length: 6 }, () => Authority.root({ subject: "CN=certgate-dev-intermediate, O=certgate", ...VALID }).then((a) => a.issued)),
    );
    const leaf = await pki.client("alice");
    const result = verifyPath(
      [leaf, ...decoys].map((c) => decoded(c.der)),
      trust,
      { ...OPTIONS, maxPathChecks: 3 },
    );
    assert.equal(result.ok, false);
  });
});

// DSA keys cannot be issued by the test CA (WebCrypto has no DSA), so this uses PKITS's own.
describe("RFC 5280 6.1.4 (e)-(f): DSA parameter inheritance", () => {
  const pkits = (file: string) => decoded(new Uint8Array(readFileSync(new URL(`../../fixtures/pkits/certs/${file}`, import.meta.url))));
  const at = new Date("2020-06-01T00:00:00Z");
  const anchor = () => createTrustStore([pkits("TrustAnchorRootCertificate.crt")]);

  it("decodes a DSA key without parameters and completes it from its issuer's key on the path", () => {
    const inherited = pkits("DSAParametersInheritedCACert.crt");
    assert.equal(inherited.publicKey, undefined);
    const chain = [pkits("ValidDSAParameterInheritanceTest5EE.crt"), inherited, pkits("DSACACert.crt")];
    const result = verifyPath(chain, anchor(), { ...OPTIONS, at, allowSha1: true, purpose: "any" });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.keys[1]?.asymmetricKeyType, "dsa");
  });

  it("still checks the signature made with the completed key", () => {
    const tampered = new Uint8Array(pkits("ValidDSAParameterInheritanceTest5EE.crt").der);
    tampered[tampered.length - 5] = tampered[tampered.length - 5]! ^ 0x01;
    const chain = [decoded(tampered), pkits("DSAParametersInheritedCACert.crt"), pkits("DSACACert.crt")];
    expectFailure(verifyPath(chain, anchor(), { ...OPTIONS, at, allowSha1: true, purpose: "any" }), "BAD_SIGNATURE", 0);
  });
});

describe("verifyPath among cross-signed CAs (x509-limbo cve::cve-2024-0567, and nonconforming cross-certificates)", () => {
  const AKI = "2.5.29.35";
  const ALL_PROFILES = ["rfc5280", "strict"] as const;

  it("finds leaf -> A1 -> Root A through A, B and C mutually cross-signed, under every profile", async () => {
    const rootA = await Authority.root({ subject: "CN=Root A", ...VALID });
    const [keysB, keysC] = [await generateKeys("ecdsa-p256"), await generateKeys("ecdsa-p256")];
    const rootB = await Authority.root({ subject: "CN=Root B", ...VALID, keys: keysB });
    const rootC = await Authority.root({ subject: "CN=Root C", ...VALID, keys: keysC });
    const a1 = await rootA.intermediate({ subject: "CN=Intermediate A1", ...VALID });
    // The cross-certificates as a hand-run CA issues them: without an authorityKeyIdentifier (strict refuses any path through them).
    const cross = (issuer: Authority, subject: string, keys: Awaited<ReturnType<typeof generateKeys>>) =>
      issuer.intermediate({ subject, ...VALID, keys, omitExtensions: [AKI] });
    const mesh = [
      await cross(rootB, "CN=Root A", rootA.issued.keys),
      await cross(rootC, "CN=Root A", rootA.issued.keys),
      await cross(rootA, "CN=Root B", keysB),
      await cross(rootC, "CN=Root B", keysB),
      await cross(rootA, "CN=Root C", keysC),
      await cross(rootB, "CN=Root C", keysC),
      await rootB.intermediate({ subject: "CN=Intermediate B1", ...VALID }),
      await rootC.intermediate({ subject: "CN=Intermediate C1", ...VALID }),
    ];
    const leaf = await a1.client({ subject: "CN=alice", ...VALID });
    for (const profile of ALL_PROFILES) {
      // The mesh presented first, as a client that sends every certificate it has might order them.
      for (const chain of [
        [leaf, ...mesh, a1],
        [leaf, a1, ...mesh],
      ]) {
        const result = verify(chain, trustStoreOf([rootA]), { profile, maxChainLength: 16 });
        assert.ok(result.ok, `${profile}: ${result.ok ? "" : result.message}`);
        assert.deepEqual(
          result.path.map((c) => c.subject.commonNames[0]),
          ["alice", "Intermediate A1", "Root A"],
        );
        assert.deepEqual(result.nonconformance, []);
      }
    }
  });

  it("prefers a conforming path: strict takes it after refusing the other, rfc5280 takes it over one with warnings", async () => {
    const root = await Authority.root({ subject: "CN=root", ...VALID });
    const keys = await generateKeys("ecdsa-p256");
    const bare = await root.intermediate({ subject: "CN=issuing", ...VALID, keys, omitExtensions: [AKI] });
    const conforming = await root.intermediate({ subject: "CN=issuing", ...VALID, keys });
    const leaf = await conforming.client({ subject: "CN=alice", ...VALID });
    for (const profile of ALL_PROFILES) {
      const result = verify([leaf, bare, conforming], trustStoreOf([root]), { profile });
      assert.ok(result.ok, `${profile}: ${result.ok ? "" : result.message}`);
      assert.equal(result.path[1]!.fingerprint, decoded(conforming.der).fingerprint, profile);
      assert.deepEqual(result.nonconformance, [], profile);
    }
    // With only the nonconforming one: rfc5280 allows it with its warning, strict refuses it.
    const alone = verify([leaf, bare], trustStoreOf([root]), { profile: "rfc5280" });
    assert.ok(alone.ok && alone.nonconformance.some((warning) => warning.rule === "authority-key-identifier-missing"));
    expectFailure(verify([leaf, bare], trustStoreOf([root]), { profile: "strict" }), "NONCONFORMING_CERTIFICATE");
  });
});
