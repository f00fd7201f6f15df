// An existing WSO2 installation, served as it is: product-is's shipped deployment.toml
// with the certificate sections WSO2's docs add, and its trust store (PKCS12 as IS 7.x
// writes it, JKS as older installs keep it) made with keytool. certgate reads the
// file as WSO2 does (its own tables ignored and listed once, its value forms read) and
// decides as WSO2's classes do, over Validate and ext_authz Check.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { Authority, Issued } from "../../src/devpki/ca.ts";
import { eventually, runCertgate, serveCertgate, type ServingProcess } from "../helpers/cli-process.ts";
import { keytoolTrustStore } from "../helpers/foreign/keystores.ts";
import { VALID, newPki, type TestPki } from "../helpers/pki.ts";
import { clientFor, unary } from "../helpers/server.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures/wso2/", import.meta.url));
const SHIPPED = readFileSync(join(FIXTURES, "deployment.toml"), "utf8");
const SECTIONS = readFileSync(join(FIXTURES, "certificate-sections.toml"), "utf8");

interface Answer {
  allowed: boolean;
  reason: string;
  message: string;
  http_status: number;
  principal?: { qualified_username: string };
}

/** The shipped file as an operator points certgate at it: only certgate's listeners added, and for IS 7.x its PKCS12 store. */
function deploymentToml(type: "JKS" | "PKCS12"): string {
  let text = SHIPPED.replace("[server]\n", '[server]\nlisten = "127.0.0.1:0"\n');
  if (type === "PKCS12") text = text.replace('file_name="client-truststore.jks"', 'file_name="client-truststore.p12"').replace('type="JKS"', 'type="PKCS12"');
  return `${text}\n${SECTIONS}\n[metrics]\nlisten = "127.0.0.1:0"\n`;
}

const xfcc = (pem: string) => `By=spiffe://cluster.local/ns/default/sa/app;Chain="${encodeURIComponent(pem)}"`;

describe("a WSO2 deployment.toml and trust store, served as they are", async () => {
  const pki: TestPki = await newPki();
  const clientCa: Authority = await pki.root.intermediate({ subject: "CN=wso2-client-ca, O=WSO2", ...VALID, pathLength: 0 });
  const partnerCa: Authority = await pki.root.intermediate({ subject: "CN=apim-partner-ca, O=WSO2", ...VALID, pathLength: 0 });
  const chain = (leaf: Issued, ca: Authority) => leaf.pem + ca.pem;
  const alice = chain(await pki.client("alice", {}, clientCa), clientCa);
  const bob = chain(await pki.client("bob@wso2.com", {}, clientCa), clientCa);
  const eve = chain(await pki.client("eve@other.com", {}, clientCa), clientCa);
  const notListed = chain(await pki.client("alice"), pki.intermediate);
  const apim = chain(await pki.client("apim", {}, partnerCa), partnerCa);

  for (const type of ["PKCS12", "JKS"] as const) {
    describe(`with its ${type} trust store`, () => {
      const dir = mkdtempSync(join(tmpdir(), `certgate-wso2-${type}-`));
      let server: ServingProcess;
      let validator: ReturnType<typeof clientFor>;
      let authz: ReturnType<typeof clientFor>;
      before(async () => {
        keytoolTrustStore(dir, type === "JKS" ? "client-truststore.jks" : "client-truststore.p12", type, "wso2carbon", [
          { alias: "wso2-root", pem: pki.root.pem },
        ]);
        writeFileSync(join(dir, "deployment.toml"), deploymentToml(type));
        server = await serveCertgate(join(dir, "deployment.toml"));
        validator = clientFor("certgate.v1.CertificateValidator", server.address);
        authz = clientFor("envoy.service.auth.v3.Authorization", server.address);
      });
      after(() => {
        validator.close();
        authz.close();
        server.child.kill("SIGKILL");
      });

      const validate = (pem: string, context: string, userHeader?: string, method = "GET") =>
        unary<Answer>(validator, "Validate", { pem, context, method, ...(userHeader === undefined ? {} : { user_header: userHeader }) });

      it("lists WSO2's own tables and keys once, in one line, and warns about the rule without http_method", () => {
        const logged = server.lines.map((line) => JSON.parse(line) as { msg: string; ignored?: string[] });
        const ignored = logged.filter((line) => line.ignored !== undefined);
        assert.equal(ignored.length, 1);
        for (const name of ["server.hostname", "super_admin", "database.identity_db", "keystore.primary", "[[session.nonce.cookies.whitelist.authenticators]]"])
          assert.ok(ignored[0]!.ignored!.includes(name), `${name} in ${ignored[0]!.msg}`);
        assert.ok(logged.some((line) => /resource\.access_control\[2\] .*has no http_method, so it never matches/.test(line.msg)));
      });

      it("allows a client of the listed intermediate through Validate and Check, naming its CN", async () => {
        const answer = await validate(alice, "/api/server/v1/applications");
        assert.equal(answer.reason, "OK", answer.message);
        assert.equal(answer.principal?.qualified_username, "alice");
        const check = await unary<{ status: { code: number } }>(authz, "Check", {
          attributes: {
            request: { http: { method: "GET", path: "/api/server/v1/applications", headers: [{ key: "x-forwarded-client-cert", value: xfcc(alice) }] } },
          },
        });
        assert.equal(check.status.code, 0);
      });

      it("answers 401 for an intermediate off the CN list (ClientCertificateBasedAuthenticationHandler fails authentication)", async () => {
        const answer = await validate(notListed, "/api/server/v1/applications");
        assert.deepEqual([answer.reason, answer.http_status], ["INTERMEDIATE_CN_NOT_ALLOWED", 401]);
      });

      it("holds paths without /t/ to carbon.super, and reads the comma-separated cross_access_allowed_tenants (AuthorizationValve)", async () => {
        assert.equal((await validate(bob, "/api/server/v1/applications")).reason, "OK");
        const eveAnswer = await validate(eve, "/api/server/v1/applications");
        assert.deepEqual([eveAnswer.reason, eveAnswer.http_status], ["CROSS_TENANT_DENIED", 401]);
        assert.equal((await validate(eve, "/t/other.com/api/server/v1/applications")).reason, "OK");
      });

      it("lets a mapped certificate assert a user in an exempt context, and no other certificate (IS 7.2)", async () => {
        const mapped = await validate(apim, "/scim2/Users", "admin");
        assert.equal(mapped.reason, "OK", mapped.message);
        assert.equal(mapped.principal?.qualified_username, "admin");
        assert.equal((await validate(alice, "/scim2/Users", "admin")).reason, "USER_NOT_MAPPED");
        // log_client_cert_info writes the certificate's thumbprint, issuer and user (the line may trail the answer).
        await eventually(() =>
          server.lines.some((line) =>
            /mTLS certificate thumbprint [0-9a-f]{64}, issuer CN=apim-partner-ca,O=WSO2, for the request made by user admin/.test(line),
          ),
        );
      });

      it("never matches the rule without http_method: its path falls to default_access_allow = false", async () => {
        assert.equal((await validate(alice, "/api/server/v1/claim-dialects")).reason, "NO_MATCHING_RULE");
      });
    });
  }

  it("reads the trust store again when it changes, and keeps it when the new one does not open", async () => {
    const dir = mkdtempSync(join(tmpdir(), "certgate-wso2-reload-"));
    const store = join(dir, "client-truststore.p12");
    const storeOf = (pem: string, password: string) => {
      const made = keytoolTrustStore(dir, "next.p12", "PKCS12", password, [{ alias: "root", pem }]);
      writeFileSync(store, readFileSync(made));
      rmSync(made);
    };
    storeOf(pki.root.pem, "wso2carbon");
    writeFileSync(join(dir, "deployment.toml"), deploymentToml("PKCS12"));
    const server = await serveCertgate(join(dir, "deployment.toml"));
    const client = clientFor("certgate.v1.CertificateValidator", server.address);
    const reason = async () => (await unary<Answer>(client, "Validate", { pem: alice, context: "/api/server/v1/applications", method: "GET" })).reason;
    try {
      assert.equal(await reason(), "OK");
      storeOf(pki.root.pem, "not-the-password");
      await eventually(() => server.lines.some((line) => line.includes("reload refused")));
      assert.equal(await reason(), "OK", "a store that does not open keeps the previous one");
      storeOf(pki.otherRoot.pem, "wso2carbon");
      await eventually(async () => (await reason()) === "PATH_NOT_FOUND");
    } finally {
      client.close();
      server.child.kill("SIGKILL");
    }
  });

  it("certgate check prints what it found, the ignored tables included", async () => {
    const dir = mkdtempSync(join(tmpdir(), "certgate-wso2-check-"));
    keytoolTrustStore(dir, "client-truststore.p12", "PKCS12", "wso2carbon", [{ alias: "wso2-root", pem: pki.root.pem }]);
    writeFileSync(join(dir, "deployment.toml"), deploymentToml("PKCS12"));
    const { code, stdout } = await runCertgate(["check", "--config", join(dir, "deployment.toml")]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /: valid\n {2}trust anchors: 1 \(CN=certgate-test-root,O=certgate\)/);
    assert.match(stdout, /\n {2}ignored \(not certgate's\): .*database\.identity_db.*server\.hostname.*super_admin/);
    assert.match(stdout, /\n {2}warning: resource\.access_control\[2\]/);
  });

  it("names the trust store and the cause when its password is wrong, and does not start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "certgate-wso2-password-"));
    keytoolTrustStore(dir, "client-truststore.jks", "JKS", "changeit", [{ alias: "wso2-root", pem: pki.root.pem }]);
    writeFileSync(join(dir, "deployment.toml"), deploymentToml("JKS"));
    const { code, stderr } = await runCertgate(["check", "--config", join(dir, "deployment.toml")]);
    assert.equal(code, 2);
    assert.match(stderr, /truststore\.file_name \(.*client-truststore\.jks\): wrong password, or the file is damaged/);
  });
});
