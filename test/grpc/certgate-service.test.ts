import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { httpStatusFor } from "../../src/reason.ts";
import { AT } from "../helpers/pki.ts";
import { buildScenarios, settingsFor } from "../helpers/scenarios.ts";
import { clientFor, startTestServer, unary, type TestServer } from "../helpers/server.ts";

interface WireResponse {
  allowed: boolean;
  reason: string;
  message: string;
  http_status: number;
  exempt: boolean;
  cert_index: number;
  principal: null | (Record<string, unknown> & { not_after: { seconds: string; nanos: number } });
  warnings: { rule: string; cert_index: number }[];
}

function wireChain(chain: { pem: string } | { der: readonly Uint8Array[] }) {
  return "pem" in chain ? { pem: chain.pem } : { der: chain.der.map((d) => Buffer.from(d)) };
}

describe("certgate.v1.CertificateValidator on a real server", async () => {
  const { pki, scenarios } = await buildScenarios();
  let test: TestServer;
  let client: ReturnType<typeof clientFor>;
  before(async () => {
    test = await startTestServer(settingsFor(pki), AT, 16 * 1024);
    client = clientFor("certgate.v1.CertificateValidator", test.server.address);
  });
  after(async () => {
    client.close();
    await test.close();
  });

  for (const scenario of scenarios) {
    it(`Validate: ${scenario.name} -> ${scenario.expect}`, async () => {
      const response = await unary<WireResponse>(client, "Validate", {
        ...wireChain(scenario.chain),
        context: scenario.context,
        method: "GET",
        ...(scenario.userHeader === undefined ? {} : { user_header: scenario.userHeader }),
      });
      assert.equal(response.reason, scenario.expect, response.message);
      assert.equal(response.allowed, scenario.expect === "OK");
      assert.equal(response.http_status, httpStatusFor(scenario.expect));
      if (scenario.qualifiedUsername !== undefined) assert.equal(response.principal?.qualified_username, scenario.qualifiedUsername);
      assert.deepEqual(
        response.warnings.map((w) => `${w.rule}@${w.cert_index}`),
        scenario.warns ?? [],
      );
    });
  }

  it("returns the whole principal on an allow", async () => {
    const ok = scenarios[0]!;
    const response = await unary<WireResponse>(client, "Validate", { ...wireChain(ok.chain), context: "/api", method: "GET" });
    const p = response.principal!;
    assert.equal(p.username, "john");
    assert.equal(p.user_store_domain, "SECONDARY");
    assert.equal(p.tenant_domain, "tenant.com");
    assert.equal(p.subject, "CN=SECONDARY/john@tenant.com,O=certgate");
    assert.equal(p.issuer, "CN=certgate-dev-intermediate,O=certgate");
    assert.match(String(p.sha256_fingerprint), /^[0-9a-f]{64}$/);
    assert.match(String(p.serial_number), /^[0-9A-F]+$/);
    assert.equal(p.not_after.seconds, String(Date.parse("2028-01-01T00:00:00Z") / 1000));
    assert.equal(response.cert_index, -1);
    assert.equal(response.exempt, false);
  });

  it("reports which certificate failed", async () => {
    const expired = scenarios.find((s) => s.expect === "CERTIFICATE_EXPIRED")!;
    const response = await unary<WireResponse>(client, "Validate", { ...wireChain(expired.chain), context: "/", method: "GET" });
    assert.equal(response.cert_index, 0);
    assert.equal(response.http_status, 401);
    const rogue = scenarios.find((s) => s.expect === "INTERMEDIATE_CN_NOT_ALLOWED")!;
    const denied = await unary<WireResponse>(client, "Validate", { ...wireChain(rogue.chain), context: "/api", method: "GET" });
    assert.equal(denied.cert_index, 1);
    // WSO2 fails authentication for an intermediate CN off the list: 401 (ClientCertificateBasedAuthenticationHandler).
    assert.equal(denied.http_status, 401);
  });

  const contractErrors: { name: string; request: () => object; code: grpc.status }[] = [
    { name: "both pem and der", request: () => ({ pem: "x", der: [Buffer.from([0x30])], context: "/" }), code: grpc.status.INVALID_ARGUMENT },
    { name: "a message over max_request_bytes", request: () => ({ pem: "A".repeat(20 * 1024), context: "/" }), code: grpc.status.RESOURCE_EXHAUSTED },
  ];
  it("decides a Validate without pem or der, and without resource rules, as NO_CERTIFICATE (401)", async () => {
    const response = await unary<WireResponse>(client, "Validate", { context: "/api/users", method: "GET" });
    assert.equal(response.reason, "NO_CERTIFICATE");
    assert.equal(response.http_status, 401);
    assert.equal(response.allowed, false);
  });

  for (const { name, request, code } of contractErrors) {
    it(`answers ${name} with gRPC ${grpc.status[code]}`, async () => {
      await assert.rejects(unary(client, "Validate", request()), (error: grpc.ServiceError) => error.code === code);
    });
  }

  it("records one decision event per answered call and no internal errors", () => {
    assert.ok(test.events.length >= scenarios.length);
    assert.ok(test.events.every((e) => e.rpc === "Validate" && e.durationMs >= 0));
    assert.deepEqual(test.errors, []);
  });

  it("answers grpc.health.v1.Health/Check with SERVING", async () => {
    const health = clientFor("grpc.health.v1.Health", test.server.address);
    const overall = await unary<{ status: string }>(health, "Check", { service: "" });
    const service = await unary<{ status: string }>(health, "Check", { service: "certgate.v1.CertificateValidator" });
    health.close();
    assert.equal(overall.status, "SERVING");
    assert.equal(service.status, "SERVING");
  });
});

describe("resource access control on the wire", async () => {
  const { accessSettings, buildAccessScenarios } = await import("../helpers/access-scenarios.ts");
  const { pki, scenarios } = await buildAccessScenarios();
  let test: TestServer;
  let client: ReturnType<typeof clientFor>;
  before(async () => {
    test = await startTestServer(accessSettings(pki), AT);
    client = clientFor("certgate.v1.CertificateValidator", test.server.address);
  });
  after(async () => {
    client.close();
    await test.close();
  });

  it("returns matched_rule and required_scopes", async () => {
    const scenario = scenarios.find((s) => s.name.startsWith("permission held"))!;
    const response = await unary<WireResponse & { matched_rule: unknown; required_scopes: string[] }>(client, "Validate", {
      ...wireChain(scenario.chain),
      context: scenario.context,
      method: "POST",
    });
    assert.equal(response.reason, "OK");
    assert.deepEqual(response.matched_rule, { context: "(.*)/scim2/Users(.*)", http_method: "post", index: 1 });
    assert.deepEqual(response.required_scopes, ["internal_user_mgt_create"]);
  });

  const withoutCertificate: { name: string; context: string; method: string; expect: string; status: number }[] = [
    { name: "an unsecured rule", context: "/api/public/status", method: "GET", expect: "OK", status: 200 },
    { name: "a secured rule", context: "/scim2/Users", method: "GET", expect: "NO_CERTIFICATE", status: 401 },
  ];
  for (const { name, context, method, expect, status } of withoutCertificate) {
    it(`decides a Validate without pem or der under ${name}: ${expect}`, async () => {
      const response = await unary<WireResponse>(client, "Validate", { context, method });
      assert.equal(response.reason, expect, response.message);
      assert.equal(response.http_status, status);
      assert.equal(response.allowed, expect === "OK");
    });
  }

  it("answers an insecure resource through ext_authz without any certificate", async () => {
    const envoy = clientFor("envoy.service.auth.v3.Authorization", test.server.address);
    const response = await unary<{ status: { code: number } }>(envoy, "Check", {
      attributes: { request: { http: { method: "GET", path: "/api/public/health" } } },
    });
    envoy.close();
    assert.equal(response.status.code, 0);
  });
});

interface TraceStep {
  stage: string;
  cert_index: number;
  check: string;
  ok: boolean;
  detail: string;
}

describe("explained decisions on the wire (ValidateRequest.explain)", async () => {
  const { pki, scenarios } = await buildScenarios();
  let test: TestServer;
  let client: ReturnType<typeof clientFor>;
  before(async () => {
    test = await startTestServer(settingsFor(pki), AT);
    client = clientFor("certgate.v1.CertificateValidator", test.server.address);
  });
  after(async () => {
    client.close();
    await test.close();
  });

  const explain = (name: string) => {
    const scenario = scenarios.find((s) => s.name === name)!;
    return unary<WireResponse & { trace: TraceStep[]; hint: string }>(client, "Validate", {
      ...wireChain(scenario.chain),
      context: scenario.context,
      method: "GET",
      explain: true,
    });
  };
  const failing = (trace: TraceStep[]) => trace.filter((step) => !step.ok && step.stage !== "decision");

  it("names the failing check for a rogue intermediate, with the certificate and a hint", async () => {
    const response = await explain("rogue intermediate");
    assert.equal(response.reason, "INTERMEDIATE_CN_NOT_ALLOWED");
    const [failed] = failing(response.trace);
    assert.equal(failed?.check, "intermediate CN allow-list");
    assert.equal(failed?.stage, "policy");
    assert.equal(failed?.cert_index, 1);
    assert.match(response.hint, /intermediate_cert_validation\.cert_cns \(certgate-dev-intermediate\); add its CN there/);
    const path = response.trace.filter((step) => step.stage === "path" && step.check.startsWith("certificate at depth"));
    assert.equal(path.length, 3);
    assert.match(path[2]!.check, /trust anchor/);
    assert.match(path[0]!.detail, /key EC P-256; valid .* SHA-256 [0-9a-f]{64}/);
  });

  it("names the failing check for an expired leaf", async () => {
    const response = await explain("expired leaf");
    assert.equal(response.reason, "CERTIFICATE_EXPIRED");
    const [failed] = failing(response.trace);
    assert.match(failed!.check, /^validity: notAfter on "CN=old/);
    assert.equal(failed!.cert_index, 0);
    assert.match(response.hint, /renew/);
  });

  it("names the anchors it could not chain to for an unknown issuer", async () => {
    const response = await explain("untrusted root");
    assert.equal(response.reason, "PATH_NOT_FOUND");
    const [failed] = failing(response.trace);
    assert.equal(failed?.stage, "path");
    assert.match(failed!.detail, /name mismatch: no presented certificate names it as issuer \(they name "CN=untrusted-root,O=elsewhere"\)/);
    assert.match(response.hint, /truststore\.ca_files/);
  });

  it("decides an explained request afresh and an unexplained one carries no trace", async () => {
    const scenario = scenarios.find((s) => s.name === "valid chain, CN checked")!;
    const plain = () =>
      unary<WireResponse & { trace: TraceStep[]; hint: string }>(client, "Validate", { ...wireChain(scenario.chain), context: "/api", method: "GET" });
    const first = await plain();
    assert.deepEqual(first.trace, []);
    const explained = await explain("valid chain, CN checked");
    assert.equal(explained.reason, "OK");
    assert.ok(
      explained.trace.some((step) => step.stage === "input"),
      "decoded afresh, not answered from the cache",
    );
    assert.ok(explained.trace.every((step) => step.ok));
    assert.equal(explained.hint, "");
    const again = await plain();
    assert.deepEqual(again.trace, []);
    assert.equal(again.reason, "OK");
  });
});
