// One certificate header in every encoding a proxy writes it, built the way each proxy
// builds it; and what is not a certificate, refused with a code.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { certificatesFromHeader } from "../../src/forwarded/header-certificate.ts";
import { newPki, type TestPki } from "../helpers/pki.ts";

const hex = (der: Uint8Array) => Buffer.from(der).toString("hex");
const b64 = (der: Uint8Array) => Buffer.from(der).toString("base64");

/** nginx's $ssl_client_escaped_cert: ngx_escape_uri(NGX_ESCAPE_URI_COMPONENT) of the PEM, which keeps only unreserved characters. */
const nginxEscaped = (pem: string) => pem.replace(/[^A-Za-z0-9\-._~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
/** Go's url.QueryEscape (Traefik 2.8 to 2.9.1 escaped the whole header with it). */
const queryEscape = (text: string) => encodeURIComponent(text).replace(/%20/g, "+");

describe("certificatesFromHeader", () => {
  let pki: TestPki;
  let leaf: Uint8Array;
  let chain: Uint8Array[];
  before(async () => {
    pki = await newPki();
    leaf = (await pki.client("john")).der;
    chain = [leaf, pki.intermediate.der];
  });

  const read = (value: string) => certificatesFromHeader(value, "x-client-cert", 32);

  it("reads each form a proxy sends, leaf first", () => {
    const pem = (der: Uint8Array) => `-----BEGIN CERTIFICATE-----\n${b64(der).replace(/(.{64})/g, "$1\n")}\n-----END CERTIFICATE-----\n`;
    const cases: [string, string, Uint8Array[]][] = [
      ["nginx $ssl_client_escaped_cert (URL-encoded PEM, leaf)", nginxEscaped(pem(leaf)), [leaf]],
      ["plain PEM, two certificates", pem(leaf) + pem(pki.intermediate.der), chain],
      ["PEM whose newlines became spaces", (pem(leaf) + pem(pki.intermediate.der)).replace(/\n/g, " "), chain],
      ["PEM whose newlines became tabs (nginx $ssl_client_cert)", pem(leaf).replace(/\n/g, "\n\t"), [leaf]],
      ["Caddy certificate_der_base64 / HAProxy ssl_c_der,base64", b64(leaf), [leaf]],
      ["Traefik passTLSClientCert pem: comma-separated base64 DER", chain.map(b64).join(","), chain],
      ["Traefik 2.8 to 2.9.1: the same, URL-escaped", queryEscape(chain.map(b64).join(",")), chain],
      ["comma-separated with spaces after the commas", chain.map(b64).join(", "), chain],
    ];
    for (const [name, value, expected] of cases) {
      const result = read(value);
      assert.ok(result !== undefined && result.ok, `${name}: ${JSON.stringify(result)}`);
      assert.deepEqual(result.certificates.map(hex), expected.map(hex), name);
    }
  });

  it("answers undefined for an empty value or a placeholder the proxy left unexpanded: no certificate, not a malformed one", () => {
    assert.equal(read(""), undefined);
    assert.equal(read("   "), undefined);
    // Caddy 2.6 without a client certificate, measured with Debian's caddy.
    assert.equal(read("{http.request.tls.client.certificate_der_base64}"), undefined);
    assert.notEqual(read("{not a placeholder}"), undefined);
  });

  it("refuses what is not a certificate with a code", () => {
    const cases: [string, string, string][] = [
      ["a bad URL escape", "%zz", "MALFORMED_CERTIFICATE"],
      ["not base64", "hello world!", "MALFORMED_CERTIFICATE"],
      ["an empty item in a list", `${b64(leaf)},,${b64(leaf)}`, "MALFORMED_CERTIFICATE"],
      ["base64 of the wrong length", b64(leaf).slice(0, -3), "MALFORMED_CERTIFICATE"],
      ["a private key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "MALFORMED_CERTIFICATE"],
      ["an unterminated PEM block", `-----BEGIN CERTIFICATE-----\n${b64(leaf)}`, "MALFORMED_CERTIFICATE"],
      ["64 certificates", Array.from({ length: 64 }, () => b64(leaf)).join(","), "CHAIN_TOO_LONG"],
    ];
    for (const [name, value, code] of cases) {
      const result = read(value);
      assert.ok(result !== undefined && !result.ok, name);
      assert.equal(result.reason, code, name);
    }
  });

  it("leaves truncated DER to the certificate decoder: the bytes come back as sent", () => {
    const truncated = leaf.subarray(0, leaf.length - 12);
    const result = read(b64(truncated));
    assert.ok(result !== undefined && result.ok);
    assert.equal(result.certificates[0]!.length, truncated.length);
  });
});
