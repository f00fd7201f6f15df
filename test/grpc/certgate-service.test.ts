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
  principal: null | Record<string, unknown> & { not_after: { seconds: string; nanos: number } };
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

  for (const scenario of scenarios.filter((s) => s.viaValidateRpc !== false)) {
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
    assert.equal(denied.http_status, 403);
  });

  const contractErrors: { name: string; request: () => object; code: grpc.status }[] = [
    { name: "no chain", request: () => ({ context: "/" }), code: grpc.status.INVALID_ARGUMENT },
    { name: "both pem and der", request: () => ({ pem: "x", der: [Buffer.from([0x30])], context: "/" }), code: grpc.status.INVALID_ARGUMENT },
    { name: "a message over max_request_bytes", request: () => ({ pem: "A".repeat(20 * 1024), context: "/" }), code: grpc.status.RESOURCE_EXHAUSTED },
  ];
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

  it("answers an insecure resource through ext_authz without any certificate", async () => {
    const envoy = clientFor("envoy.service.auth.v3.Authorization", test.server.address);
    const response = await unary<{ status: { code: number } }>(envoy, "Check", { attributes: { request: { http: { method: "GET", path: "/api/public/health" } } } });
    envoy.close();
    assert.equal(response.status.code, 0);
  });
});
