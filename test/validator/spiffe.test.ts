// SPIFFE and SAN identities through the validator, configured by the real TOML
// reader: trust domains that cannot vouch for each other, mapped principals, rule
// pinning, and the proxy's view of the peer.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig } from "../../src/config/load.ts";
import { validatorSettings } from "../../src/config/validator-settings.ts";
import { OID_CLIENT_AUTH } from "../../src/devpki/ca.ts";
import { issueSvid, spiffeRoot } from "../../src/devpki/spiffe.ts";
import { KeyUsageFlags } from "../../src/devpki/x509.ts";
import { createValidator, type ValidationRequest } from "../../src/validator/validator.ts";
import { AT, VALID, newPki, trustStoreOf } from "../helpers/pki.ts";

const SPIFFE_TOML = `
[truststore]
ca_files = ["unused.pem"]
[intermediate_cert_validation]
enable = false
[principal]
source = "uri_san"
[[principal.mapping]]
match = "spiffe://{td}/ns/{ns}/sa/{sa}"
username = "{sa}"
user_store = "SPIFFE"
tenant = "{ns}.svc"
[[trust_domain]]
name = "prod.example.org"
ca_files = ["unused.pem"]
[[trust_domain]]
name = "partner.example"
bundle_file = "unused.json"
[resource_access_control]
default_access = "deny"
[[resource.access_control]]
context = "/payments/*"
http_method = "all"
trust_domains = ["prod.example.org"]
[[resource.access_control]]
context = "/admin/*"
http_method = "all"
principals = ["spiffe://prod.example.org/ns/ops/*"]
[[resource.access_control]]
context = "/.*"
http_method = "all"
`;

describe("SPIFFE trust domains and SAN principals", async () => {
  const pki = await newPki();
  const prod = await spiffeRoot("prod.example.org", VALID);
  const prodIssuing = await prod.intermediate({ subject: "CN=prod issuing CA, O=prod.example.org", ...VALID, uris: ["spiffe://prod.example.org"] });
  const partner = await spiffeRoot("partner.example", VALID);
  const domains = new Map([
    ["prod.example.org", trustStoreOf([prod])],
    ["partner.example", trustStoreOf([partner])],
  ]);
  const validatorFor = (toml: string) =>
    createValidator(validatorSettings(parseConfig(toml, "test", "/"), { trust: trustStoreOf([pki.root]), trustDomains: domains }));
  const validator = validatorFor(SPIFFE_TOML);
  const pem = (...items: { pem: string }[]) => ({ pem: items.map((item) => item.pem).join("") });
  const ask = (chain: ValidationRequest["chain"], context = "/api", extra: Partial<ValidationRequest> = {}) =>
    validator.validate({ chain, context, method: "GET", ...extra }, AT);

  const web = await issueSvid(prodIssuing, "spiffe://prod.example.org/ns/shop/sa/web", VALID);
  const ops = await issueSvid(prod, "spiffe://prod.example.org/ns/ops/sa/deployer", VALID);
  const invoicer = await issueSvid(partner, "spiffe://partner.example/ns/billing/sa/invoicer", VALID);
  const forged = await issueSvid(partner, "spiffe://prod.example.org/ns/ops/sa/deployer", VALID);
  const unknownDomain = await issueSvid(partner, "spiffe://elsewhere.example/ns/a/sa/b", VALID);
  const unmapped = await issueSvid(prod, "spiffe://prod.example.org/jobs/nightly", VALID);

  it("allows a mapped SVID through an intermediate, with the mapped principal and the SPIFFE ID", () => {
    const decision = ask(pem(web, prodIssuing));
    assert.equal(decision.reason, "OK", decision.message);
    assert.equal(decision.identity?.principal?.qualifiedUsername, "SPIFFE/web@shop.svc");
    assert.equal(decision.identity?.principal?.userStoreDomain, "SPIFFE");
    assert.equal(decision.identity?.principal?.tenantDomain, "shop.svc");
    assert.equal(decision.identity?.spiffeId, "spiffe://prod.example.org/ns/shop/sa/web");
  });

  it("refuses a partner CA minting a prod ID (TRUST_DOMAIN_MISMATCH), naming the domain it came from", () => {
    const decision = ask(pem(forged, partner));
    assert.equal(decision.reason, "TRUST_DOMAIN_MISMATCH");
    assert.equal(decision.httpStatus, 401);
    assert.match(decision.message, /does not lead to a prod\.example\.org anchor; it is issued under an anchor of trust domain partner\.example/);
    // Even though the partner's own SVIDs verify under the same partner anchor.
    assert.equal(ask(pem(invoicer)).reason, "OK");
  });

  it("refuses an SVID of a trust domain that is not configured", () => {
    const decision = ask(pem(unknownDomain));
    assert.equal(decision.reason, "TRUST_DOMAIN_MISMATCH");
    assert.match(decision.message, /elsewhere\.example, which is not configured/);
  });

  it("never lets truststore.ca_files vouch for an SVID", async () => {
    const wso2Svid = await issueSvid(pki.intermediate, "spiffe://prod.example.org/ns/shop/sa/web", VALID);
    const decision = ask(pem(wso2Svid, pki.intermediate));
    assert.equal(decision.reason, "TRUST_DOMAIN_MISMATCH");
    assert.match(decision.message, /truststore\.ca_files/);
  });

  it("sends a leaf without a SPIFFE ID to truststore.ca_files only, never to a trust domain", async () => {
    const plain = await prod.client({ subject: "CN=plain", ...VALID, extendedKeyUsage: [OID_CLIENT_AUTH] });
    assert.equal(ask(pem(plain)).reason, "PATH_NOT_FOUND");
    // Verified by the WSO2 anchors; uri_san finds no URI SAN to map.
    const john = await pki.client("john");
    const decision = ask(pem(john, pki.intermediate));
    assert.equal(decision.reason, "NO_PRINCIPAL_MAPPING");
    assert.match(decision.message, /has no URI SAN/);
  });

  it("refuses an invalid SVID before building a path", async () => {
    const caLeaf = await prod.issue({ subject: "O=x", ...VALID, ca: true, keyUsage: KeyUsageFlags.digitalSignature, uris: ["spiffe://prod.example.org/x"] });
    const twoIds = await prod.client({
      subject: "O=x",
      ...VALID,
      uris: ["spiffe://prod.example.org/a", "spiffe://prod.example.org/b"],
      extendedKeyUsage: [OID_CLIENT_AUTH],
    });
    for (const leaf of [caLeaf, twoIds]) {
      const decision = ask(pem(leaf));
      assert.equal(decision.reason, "INVALID_SVID");
      assert.equal(decision.certIndex, 0);
    }
  });

  it("answers NO_PRINCIPAL_MAPPING for an SVID no mapping covers", () => {
    const decision = ask(pem(unmapped));
    assert.equal(decision.reason, "NO_PRINCIPAL_MAPPING");
    assert.match(decision.message, /spiffe:\/\/prod\.example\.org\/jobs\/nightly/);
  });

  it("pins a rule to a trust domain (PRINCIPAL_NOT_ALLOWED, 403)", () => {
    assert.equal(ask(pem(web, prodIssuing), "/payments/charge").reason, "OK");
    const decision = ask(pem(invoicer), "/payments/charge");
    assert.equal(decision.reason, "PRINCIPAL_NOT_ALLOWED");
    assert.equal(decision.httpStatus, 403);
    assert.equal(decision.identity?.spiffeId, "spiffe://partner.example/ns/billing/sa/invoicer");
  });

  it("admits a rule's principal pattern by whole segments", () => {
    assert.equal(ask(pem(ops), "/admin/deploy").reason, "OK");
    assert.equal(ask(pem(web, prodIssuing), "/admin/deploy").reason, "PRINCIPAL_NOT_ALLOWED");
  });

  it("refuses when the proxy's peer principal is another SPIFFE ID, and keeps the two answers apart in the cache", () => {
    const chain = pem(web, prodIssuing);
    assert.equal(ask(chain, "/api", { peerPrincipal: "spiffe://prod.example.org/ns/shop/sa/web" }).reason, "OK");
    const other = ask(chain, "/api", { peerPrincipal: "spiffe://prod.example.org/ns/ops/sa/deployer" });
    assert.equal(other.reason, "TRUST_DOMAIN_MISMATCH");
    assert.match(other.message, /the proxy names the peer/);
    assert.equal(ask(chain, "/api", { peerPrincipal: "CN=web" }).reason, "TRUST_DOMAIN_MISMATCH");
    assert.equal(ask(chain, "/api", { peerPrincipal: "" }).reason, "OK");
    assert.equal(ask(chain, "/api").reason, "OK");
  });

  it("explains the SVID rules and the mapping", () => {
    const decision = validator.validate({ chain: pem(web, prodIssuing), context: "/api", method: "GET" }, AT, { explain: true });
    const steps = decision.explanation!.steps.map((step) => `${step.check}: ${step.detail}`);
    assert.ok(
      steps.some((step) => /X\.509-SVID rules: spiffe:\/\/prod\.example\.org\/ns\/shop\/sa\/web: only trust domain prod\.example\.org/.test(step)),
      steps.join("\n"),
    );
    assert.ok(
      steps.some((step) => /principal mapping: .* matches principal\.mapping\[0\] -> SPIFFE\/web@shop\.svc/.test(step)),
      steps.join("\n"),
    );
  });

  it("keeps the intermediate-CN allow-list as an issuer allow-list with a SAN source", () => {
    const pinned = validatorFor(SPIFFE_TOML.replace("enable = false", 'enable = true\ncert_cns = ["prod issuing CA"]'));
    assert.equal(pinned.validate({ chain: pem(web, prodIssuing), context: "/api", method: "GET" }, AT).reason, "OK");
    assert.equal(pinned.validate({ chain: pem(ops), context: "/api", method: "GET" }, AT).reason, "INTERMEDIATE_CN_NOT_ALLOWED");
  });

  it("maps e-mail and DNS SANs", async () => {
    const cnOnly = `[truststore]\nca_files = ["unused.pem"]\n[intermediate_cert_validation]\nenable = false\n`;
    const email = validatorFor(
      `${cnOnly}[principal]\nsource = "email_san"\n[[principal.mapping]]\nmatch = "{user}@{tenant}"\nusername = "{user}"\ntenant = "{tenant}"\n`,
    );
    const alice = await pki.client("ignored", { emails: ["alice@Acme.com"] });
    const byEmail = email.validate({ chain: pem(alice, pki.intermediate), context: "/", method: "GET" }, AT);
    assert.equal(byEmail.identity?.principal?.qualifiedUsername, "alice@acme.com", byEmail.message);
    assert.equal(byEmail.identity?.spiffeId, undefined);
    const dns = validatorFor(
      `${cnOnly}[principal]\nsource = "dns_san"\n[[principal.mapping]]\nmatch = "{svc}.internal.example"\nusername = "{svc}"\nuser_store = "SERVICES"\n`,
    );
    const api = await pki.client("ignored", { dnsNames: ["api.internal.example"] });
    assert.equal(dns.validate({ chain: pem(api, pki.intermediate), context: "/", method: "GET" }, AT).identity?.principal?.qualifiedUsername, "SERVICES/api");
    assert.equal(dns.validate({ chain: pem(alice, pki.intermediate), context: "/", method: "GET" }, AT).reason, "NO_PRINCIPAL_MAPPING");
  });

  it('changes nothing with source = "cn" and no trust domains, even for a malformed spiffe URI', async () => {
    const cn = createValidator(
      validatorSettings(
        parseConfig(`[truststore]\nca_files = ["unused.pem"]\n[intermediate_cert_validation]\ncert_cns = ["certgate-dev-intermediate"]\n`, "test", "/"),
        { trust: trustStoreOf([pki.root]) },
      ),
    );
    const odd = await pki.client("john", { uris: ["spiffe://UPPER/x", "https://a/b"] });
    const decision = cn.validate({ chain: pem(odd, pki.intermediate), context: "/", method: "GET" }, AT);
    assert.equal(decision.reason, "OK");
    assert.equal(decision.identity?.principal?.qualifiedUsername, "john");
    assert.equal(decision.identity?.spiffeId, undefined);
  });

  it('matches rule principals against the qualified username with source = "cn"', async () => {
    const cn = createValidator(
      validatorSettings(
        parseConfig(
          `[truststore]\nca_files = ["unused.pem"]\n[intermediate_cert_validation]\ncert_cns = ["certgate-dev-intermediate"]\n[[resource.access_control]]\ncontext = "/.*"\nhttp_method = "all"\nprincipals = ["SECONDARY/*@tenant.com"]\n`,
          "test",
          "/",
        ),
        { trust: trustStoreOf([pki.root]) },
      ),
    );
    const ask2 = async (name: string) =>
      cn.validate({ chain: pem(await pki.client(name), pki.intermediate), context: "/t/tenant.com/x", method: "GET" }, AT).reason;
    assert.equal(await ask2("SECONDARY/john@tenant.com"), "OK");
    assert.equal(await ask2("john@tenant.com"), "PRINCIPAL_NOT_ALLOWED");
    assert.equal(await ask2("SECONDARY/john@other.com"), "PRINCIPAL_NOT_ALLOWED");
  });
});
