// Envoy's side of ext_authz, from the official Envoy protos: what a sidecar sends
// and what it does with the answer.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { DEFAULTS } from "../../src/defaults.ts";
import { createTrustStore } from "../../src/pki/path/trust-store.ts";
import { AT, decoded } from "../helpers/pki.ts";
import { buildScenarios, settingsFor } from "../helpers/scenarios.ts";
import { clientFor, startTestServer, unary, type TestServer } from "../helpers/server.ts";

interface HeaderOption {
  header: { key: string; value: string };
  append_action: string;
}
interface CheckResponse {
  status: { code: number; message: string };
  http_response: "ok_response" | "denied_response";
  ok_response?: { headers: HeaderOption[]; headers_to_remove: string[] };
  denied_response?: { status: { code: string | number }; headers: HeaderOption[]; body: string };
}

/** A CheckRequest as Envoy sends it; map<string,string> headers travel as repeated entries. */
function check(http: { path?: string; method?: string; headers?: Record<string, string>; header_map?: object }, source?: { certificate: string }) {
  const headers = Object.entries(http.headers ?? {}).map(([key, value]) => ({ key, value }));
  return { attributes: { source: source ?? {}, request: { http: { method: "GET", ...http, headers } } } };
}

function headerMap(response: CheckResponse): Map<string, string> {
  const options = response.ok_response?.headers ?? response.denied_response?.headers ?? [];
  for (const option of options) assert.equal(option.append_action, "OVERWRITE_IF_EXISTS_OR_ADD");
  return new Map(options.map((o) => [o.header.key, o.header.value]));
}

describe("envoy.service.auth.v3.Authorization/Check on a real server", async () => {
  const { pki } = await buildScenarios();
  const john = await pki.client("SECONDARY/john@tenant.com");
  const mallory = await pki.client("mallory", {}, pki.rogue);
  const expired = await pki.client("old", { notAfter: new Date("2026-02-01T00:00:00Z") });
  const xfcc = (pem: string) => `By=spiffe://cluster.local/ns/default/sa/app;Chain="${encodeURIComponent(pem)}";Subject="CN=x"`;
  let open: TestServer;
  let strict: TestServer;
  let client: ReturnType<typeof clientFor>;
  let strictClient: ReturnType<typeof clientFor>;

  before(async () => {
    // The intermediate pool completes chains for sources that carry only the leaf.
    const settings = { ...settingsFor(pki), trust: createTrustStore([decoded(pki.root.der)], [decoded(pki.intermediate.der), decoded(pki.rogue.der)]) };
    open = await startTestServer(settings, AT, 64 * 1024, { ...DEFAULTS.extAuthz, trustClientCertHeaders: true, certHeader: "x-ssl-cert" });
    strict = await startTestServer(settings, AT, 64 * 1024, { ...DEFAULTS.extAuthz, trustXfcc: false });
    client = clientFor("envoy.service.auth.v3.Authorization", open.server.address);
    strictClient = clientFor("envoy.service.auth.v3.Authorization", strict.server.address);
  });
  after(async () => {
    client.close();
    strictClient.close();
    await open.close();
    await strict.close();
  });

  it("allows an XFCC chain and sends the principal upstream", async () => {
    const response = await unary<CheckResponse>(
      client,
      "Check",
      check({ path: "/api/users?x=1", headers: { "x-forwarded-client-cert": xfcc(john.pem + pki.intermediate.pem) } }),
    );
    assert.equal(response.status.code, 0);
    assert.equal(response.http_response, "ok_response");
    const headers = headerMap(response);
    assert.equal(headers.get("x-certgate-user"), "john");
    assert.equal(headers.get("x-certgate-user-store"), "SECONDARY");
    assert.equal(headers.get("x-certgate-tenant"), "tenant.com");
    assert.equal(headers.get("x-certgate-qualified-user"), "SECONDARY/john@tenant.com");
    assert.equal(headers.get("x-certgate-fingerprint"), decoded(john.der).fingerprint);
    // Without a SPIFFE ID, a client-sent x-certgate-spiffe-id is removed too.
    assert.deepEqual(response.ok_response!.headers_to_remove, ["wso2-identity-user", "x-certgate-spiffe-id"]);
  });

  it("uses the last XFCC element, the one the nearest proxy added", async () => {
    const good = xfcc(john.pem + pki.intermediate.pem);
    const rogue = xfcc(mallory.pem + pki.rogue.pem);
    const lastGood = await unary<CheckResponse>(client, "Check", check({ path: "/api", headers: { "x-forwarded-client-cert": `${rogue},${good}` } }));
    assert.equal(lastGood.status.code, 0);
    const lastRogue = await unary<CheckResponse>(client, "Check", check({ path: "/api", headers: { "x-forwarded-client-cert": `${good},${rogue}` } }));
    assert.equal(lastRogue.status.code, grpc.status.UNAUTHENTICATED);
  });

  it("completes a peer certificate (include_peer_certificate) from the intermediate pool", async () => {
    const response = await unary<CheckResponse>(client, "Check", check({ path: "/api" }, { certificate: encodeURIComponent(john.pem) }));
    assert.equal(response.status.code, 0);
    assert.equal(headerMap(response).get("x-certgate-user"), "john");
  });

  it("overwrites spoofed principal headers and removes the asserted user outside exempt contexts", async () => {
    const response = await unary<CheckResponse>(
      client,
      "Check",
      check({ path: "/api/users", headers: { "x-forwarded-client-cert": xfcc(john.pem), "x-certgate-user": "admin", "wso2-identity-user": "admin" } }),
    );
    assert.equal(headerMap(response).get("x-certgate-user"), "john");
    assert.ok(response.ok_response!.headers_to_remove.includes("wso2-identity-user"));
  });

  it("in an exempt context without an asserted user, removes every user header a client could have sent", async () => {
    const response = await unary<CheckResponse>(
      client,
      "Check",
      check({ path: "/scim2/Users", headers: { "x-forwarded-client-cert": xfcc(mallory.pem), "x-certgate-user": "admin" } }),
    );
    assert.equal(response.status.code, 0);
    const headers = headerMap(response);
    assert.equal(headers.get("x-certgate-user"), undefined);
    assert.equal(headers.get("x-certgate-fingerprint"), decoded(mallory.der).fingerprint);
    assert.deepEqual(response.ok_response!.headers_to_remove.sort(), [
      "wso2-identity-user",
      "x-certgate-qualified-user",
      "x-certgate-spiffe-id",
      "x-certgate-tenant",
      "x-certgate-user",
      "x-certgate-user-store",
    ]);
  });

  it("in an exempt context, names the asserted user from wso2-identity-user", async () => {
    const response = await unary<CheckResponse>(
      client,
      "Check",
      check({ path: "/t/acme.com/dcr/register", headers: { "x-forwarded-client-cert": xfcc(mallory.pem), "wso2-identity-user": "ann@acme.com" } }),
    );
    assert.equal(headerMap(response).get("x-certgate-qualified-user"), "ann@acme.com");
  });

  const denials: { name: string; request: () => object; grpcCode: grpc.status; http: number; reason: string }[] = [
    {
      name: "an expired leaf",
      request: () => check({ path: "/api", headers: { "x-forwarded-client-cert": xfcc(expired.pem) } }),
      grpcCode: grpc.status.UNAUTHENTICATED,
      http: 401,
      reason: "CERTIFICATE_EXPIRED",
    },
    {
      name: "a rogue intermediate",
      request: () => check({ path: "/api", headers: { "x-forwarded-client-cert": xfcc(mallory.pem) } }),
      grpcCode: grpc.status.UNAUTHENTICATED,
      http: 401,
      reason: "INTERMEDIATE_CN_NOT_ALLOWED",
    },
    { name: "no certificate anywhere", request: () => check({ path: "/api" }), grpcCode: grpc.status.UNAUTHENTICATED, http: 401, reason: "NO_CERTIFICATE" },
    {
      name: "malformed XFCC",
      request: () => check({ path: "/api", headers: { "x-forwarded-client-cert": 'Cert="unterminated' } }),
      grpcCode: grpc.status.UNAUTHENTICATED,
      http: 401,
      reason: "MALFORMED_CERTIFICATE",
    },
    {
      name: "XFCC with bad URL encoding",
      request: () => check({ path: "/api", headers: { "x-forwarded-client-cert": "Cert=%ZZ" } }),
      grpcCode: grpc.status.UNAUTHENTICATED,
      http: 401,
      reason: "MALFORMED_CERTIFICATE",
    },
    {
      name: "XFCC whose PEM is garbage",
      request: () =>
        check({
          path: "/api",
          headers: { "x-forwarded-client-cert": `Cert=${encodeURIComponent("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")}` },
        }),
      grpcCode: grpc.status.UNAUTHENTICATED,
      http: 401,
      reason: "MALFORMED_CERTIFICATE",
    },
    {
      name: "a malformed peer certificate",
      request: () => check({ path: "/api" }, { certificate: "%%%" }),
      grpcCode: grpc.status.UNAUTHENTICATED,
      http: 401,
      reason: "MALFORMED_CERTIFICATE",
    },
    {
      name: "a path with an encoded slash",
      request: () => check({ path: "/api%2F..%2Fscim2", headers: { "x-forwarded-client-cert": xfcc(john.pem) } }),
      grpcCode: grpc.status.PERMISSION_DENIED,
      http: 403,
      reason: "INVALID_REQUEST_PATH",
    },
  ];
  for (const { name, request, grpcCode, http, reason } of denials) {
    it(`denies ${name}: gRPC ${grpc.status[grpcCode]}, HTTP ${http}, ${reason}`, async () => {
      const response = await unary<CheckResponse>(client, "Check", request());
      assert.equal(response.status.code, grpcCode);
      assert.equal(response.http_response, "denied_response");
      const denied = response.denied_response!;
      assert.equal(Number(denied.status.code) || denied.status.code, http === 401 ? "Unauthorized" : "Forbidden");
      const headers = headerMap(response);
      assert.equal(headers.get("x-certgate-reason"), reason);
      assert.equal(headers.get("content-type"), "application/json");
      const body = JSON.parse(denied.body) as { reason: string; message: string };
      assert.equal(body.reason, reason);
      assert.ok(body.message.length > 0);
    });
  }

  it("reads RFC 9440 Client-Cert / Client-Cert-Chain when trusted", async () => {
    const sf = (der: Uint8Array) => `:${Buffer.from(der).toString("base64")}:`;
    const response = await unary<CheckResponse>(
      client,
      "Check",
      check({ path: "/api", headers: { "client-cert": sf(john.der), "client-cert-chain": sf(pki.intermediate.der) } }),
    );
    assert.equal(response.status.code, 0);
  });

  it("reads the configured single-certificate header (WSO2's X-SSL-CERT)", async () => {
    const response = await unary<CheckResponse>(client, "Check", check({ path: "/api", headers: { "x-ssl-cert": john.pem.replace(/\n/g, " ") } }));
    assert.equal(response.status.code, 0);
  });

  it("reads headers sent as header_map with raw values, and :path when http.path is empty", async () => {
    const response = await unary<CheckResponse>(
      client,
      "Check",
      check({
        header_map: {
          headers: [
            { key: ":path", raw_value: Buffer.from("/api/users") },
            { key: "X-Forwarded-Client-Cert", raw_value: Buffer.from(xfcc(john.pem)) },
          ],
        },
      }),
    );
    assert.equal(response.status.code, 0, JSON.stringify(response));
  });

  it("ignores XFCC and RFC 9440 headers unless trusted", async () => {
    const sf = (der: Uint8Array) => `:${Buffer.from(der).toString("base64")}:`;
    const response = await unary<CheckResponse>(
      strictClient,
      "Check",
      check({ path: "/api", headers: { "x-forwarded-client-cert": xfcc(john.pem), "client-cert": sf(john.der) } }),
    );
    assert.equal(headerMap(response).get("x-certgate-reason"), "NO_CERTIFICATE");
  });

  it("answers a client built from Envoy's .proto files, where headers is a real map", async () => {
    const deps = fileURLToPath(new URL("../../node_modules/@grpc/grpc-js-xds/deps/", import.meta.url));
    const definition = protoLoader.loadSync("envoy/service/auth/v3/external_auth.proto", {
      keepCase: true,
      enums: String,
      oneofs: true,
      includeDirs: ["envoy-api", "googleapis", "protoc-gen-validate", "xds"].map((dir) => deps + dir),
    });
    const Authorization = (grpc.loadPackageDefinition(definition) as any).envoy.service.auth.v3.Authorization;
    const envoy = new Authorization(open.server.address, grpc.credentials.createInsecure());
    const response = await unary<CheckResponse>(envoy, "Check", {
      attributes: { request: { http: { method: "GET", path: "/api", headers: { "x-forwarded-client-cert": xfcc(john.pem), "wso2-identity-user": "x" } } } },
    });
    envoy.close();
    assert.equal(response.status.code, 0);
    assert.equal(headerMap(response).get("x-certgate-user"), "john");
  });

  it("logged every Check as a decision with no internal error", () => {
    assert.ok(open.events.filter((e) => e.rpc === "Check").length >= denials.length);
    assert.deepEqual(open.errors, []);
  });
});
