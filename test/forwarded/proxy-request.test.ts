// A proxy's request read with each preset: the configured headers and nothing else.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, describe, it } from "node:test";
import { PRESETS, forwardAuthReading, type ProxyName } from "../../src/forwarded/presets.ts";
import { validationRequestOf, type ProxyRequest, type ReadRequest } from "../../src/forwarded/proxy-request.ts";
import { newPki, type TestPki } from "../helpers/pki.ts";

const hex = (der: Uint8Array) => Buffer.from(der).toString("hex");
const b64 = (der: Uint8Array) => Buffer.from(der).toString("base64");
const SHARED = { pathPrefix: "", userHeader: "wso2-identity-user", maxHeaderBytes: 32 * 1024, maxXfccElements: 16 };

function read(proxy: ProxyName, headers: Record<string, string | string[]>, own: Partial<ProxyRequest> = {}, pathPrefix = ""): ReadRequest {
  const map = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return validationRequestOf({ headers: map, method: "GET", path: "/auth", ...own }, forwardAuthReading(PRESETS[proxy], { ...SHARED, pathPrefix }));
}

function ders(result: ReadRequest): string[] {
  assert.ok(result.ok, JSON.stringify(result));
  const chain = result.request.chain;
  assert.ok("der" in chain);
  return chain.der.map(hex);
}

describe("validationRequestOf with the proxy presets", () => {
  let pki: TestPki;
  let leaf: Uint8Array;
  let leafPem: string;
  let forged: Uint8Array;
  before(async () => {
    pki = await newPki();
    const john = await pki.client("john");
    leaf = john.der;
    leafPem = john.pem;
    forged = (await pki.client("mallory", {}, pki.otherRoot)).der;
  });

  it("nginx: the certificate, URI and method from the three headers the auth location sets", () => {
    const result = read("nginx", { "X-SSL-Client-Cert": encodeURIComponent(leafPem), "X-Original-URI": "/api/users?x=1", "X-Original-Method": "POST" });
    assert.ok(result.ok);
    assert.equal(result.request.context, "/api/users?x=1");
    assert.equal(result.request.method, "POST");
    assert.deepEqual(ders(result), [hex(leaf)]);
  });

  it("nginx: a forged XFCC, RFC 9440 or X-Forwarded-Uri header from the client changes nothing", () => {
    const xfcc = `By=spiffe://x;Cert="${encodeURIComponent(`-----BEGIN CERTIFICATE-----\n${b64(forged)}\n-----END CERTIFICATE-----\n`)}"`;
    const spoofs = { "X-Forwarded-Client-Cert": xfcc, "Client-Cert": `:${b64(forged)}:`, "X-Forwarded-Uri": "/scim2/Users", "X-Forwarded-Method": "DELETE" };
    const withCert = read("nginx", { ...spoofs, "X-SSL-Client-Cert": encodeURIComponent(leafPem), "X-Original-URI": "/api", "X-Original-Method": "GET" });
    assert.deepEqual(ders(withCert), [hex(leaf)]);
    assert.ok(withCert.ok && withCert.request.context === "/api" && withCert.request.method === "GET");
    // Without the configured certificate header, there is no certificate: never the forged one.
    assert.deepEqual(ders(read("nginx", { ...spoofs, "X-Original-URI": "/api", "X-Original-Method": "GET" })), []);
  });

  it("ingress-nginx: the path and query of X-Original-URL", () => {
    for (const [url, path] of [
      ["https://app.example.com/api/users?a=b", "/api/users?a=b"],
      ["http://app.example.com", "/"],
      ["https://app.example.com?q", "/?q"],
    ]) {
      const result = read("ingress-nginx", { "ssl-client-cert": encodeURIComponent(leafPem), "X-Original-URL": url!, "X-Original-Method": "GET" });
      assert.ok(result.ok && result.request.context === path, `${url} -> ${JSON.stringify(result)}`);
    }
  });

  it("traefik: comma-separated base64 DER in X-Forwarded-Tls-Client-Cert, X-Forwarded-Uri and -Method", () => {
    const result = read("traefik", {
      "X-Forwarded-Tls-Client-Cert": [leaf, pki.intermediate.der].map(b64).join(","),
      "X-Forwarded-Uri": "/a",
      "X-Forwarded-Method": "PUT",
    });
    assert.deepEqual(ders(result), [hex(leaf), hex(pki.intermediate.der)]);
    assert.ok(result.ok && result.request.method === "PUT");
  });

  it("caddy and haproxy: one base64 DER", () => {
    const caddy = read("caddy", { "X-Client-Cert": b64(leaf), "X-Forwarded-Uri": "/a", "X-Forwarded-Method": "GET" });
    const haproxy = read("haproxy", { "X-Client-Cert": b64(leaf), "X-Original-URI": "/a", "X-Original-Method": "GET" });
    assert.deepEqual(ders(caddy), [hex(leaf)]);
    assert.deepEqual(ders(haproxy), [hex(leaf)]);
  });

  it("envoy: XFCC (Hash checked), and the request's own method and path less path_prefix", () => {
    const pem = leafPem;
    const xfcc = `By=spiffe://cluster.local/ns/a/sa/b;Hash=${createHash("sha256").update(leaf).digest("hex")};Cert="${encodeURIComponent(pem)}"`;
    const result = read("envoy", { "x-forwarded-client-cert": xfcc, "x-original-uri": "/ignored" }, { method: "DELETE", path: "/certgate/api/x" }, "/certgate");
    assert.deepEqual(ders(result), [hex(leaf)]);
    assert.ok(result.ok && result.request.context === "/api/x" && result.request.method === "DELETE");
    const outside = read("envoy", { "x-forwarded-client-cert": xfcc }, { path: "/other/api" }, "/certgate");
    assert.ok(!outside.ok && outside.reason === "INVALID_PROXY_HEADER");
  });

  it("reads RFC 9440 when the certificate header is Client-Cert", () => {
    const reading = forwardAuthReading({ certHeader: "client-cert", uriHeader: "x-original-uri", methodHeader: "x-original-method" }, SHARED);
    const headers = new Map([
      ["client-cert", `:${b64(leaf)}:`],
      ["client-cert-chain", `:${b64(pki.intermediate.der)}:`],
      ["x-original-uri", "/a"],
      ["x-original-method", "GET"],
    ]);
    assert.deepEqual(ders(validationRequestOf({ headers, method: "GET", path: "/" }, reading)), [hex(leaf), hex(pki.intermediate.der)]);
  });

  it("refuses what a proxy would never send, with a code", () => {
    const cert = { "X-SSL-Client-Cert": encodeURIComponent(leafPem) };
    const cases: [string, Record<string, string | string[]>, string][] = [
      ["no URI header", { ...cert, "X-Original-Method": "GET" }, "INVALID_PROXY_HEADER"],
      ["an empty URI header", { ...cert, "X-Original-URI": "", "X-Original-Method": "GET" }, "INVALID_PROXY_HEADER"],
      ["no method header", { ...cert, "X-Original-URI": "/a" }, "INVALID_PROXY_HEADER"],
      ["a method that is not a token", { ...cert, "X-Original-URI": "/a", "X-Original-Method": "GET /x" }, "INVALID_PROXY_HEADER"],
      ["the URI header twice", { ...cert, "X-Original-URI": ["/a", "/scim2"], "X-Original-Method": "GET" }, "INVALID_PROXY_HEADER"],
      [
        "the certificate header twice",
        { "X-SSL-Client-Cert": [b64(leaf), b64(forged)], "X-Original-URI": "/a", "X-Original-Method": "GET" },
        "MALFORMED_CERTIFICATE",
      ],
      ["a URI that is not a path", { ...cert, "X-Original-URI": "*", "X-Original-Method": "OPTIONS" }, "INVALID_REQUEST_PATH"],
      ["a URI of another scheme", { ...cert, "X-Original-URI": "ftp://x/a", "X-Original-Method": "GET" }, "INVALID_REQUEST_PATH"],
      [
        "an oversized certificate header",
        { "X-SSL-Client-Cert": "A".repeat(40 * 1024), "X-Original-URI": "/a", "X-Original-Method": "GET" },
        "MALFORMED_CERTIFICATE",
      ],
      ["the user header twice", { ...cert, "X-Original-URI": "/a", "X-Original-Method": "GET", "WSO2-Identity-User": ["a", "b"] }, "INVALID_USERNAME"],
    ];
    for (const [name, headers, code] of cases) {
      const result = read("nginx", headers);
      assert.ok(!result.ok, name);
      assert.equal(result.reason, code, name);
    }
  });

  it("hands the same chain object back for the same header value, so it is hashed once", () => {
    const headers = { "X-SSL-Client-Cert": b64(leaf), "X-Original-URI": "/a", "X-Original-Method": "GET" };
    const [first, second] = [read("nginx", headers), read("nginx", headers)];
    assert.ok(first.ok && second.ok && "der" in first.request.chain && "der" in second.request.chain);
    assert.equal(first.request.chain.der, second.request.chain.der);
  });
});
