// A client certificate, or its chain, in one configured header, in every encoding
// proxies use:
// - PEM, plain or URL-encoded (nginx's $ssl_client_escaped_cert, WSO2's X-SSL-CERT),
//   one certificate or several; newlines that became spaces or tabs are accepted;
// - one certificate's base64 DER (Caddy's certificate_der_base64, HAProxy's
//   ssl_c_der,base64);
// - base64 DER certificates separated by commas, leaf first (Traefik's
//   passTLSClientCert, URL-escaped as a whole in Traefik 2.8 to 2.9.1).
import { fail, type Failure } from "../reason.ts";
import { decodePemChain } from "../pki/pem.ts";

export type HeaderCertificate = { readonly ok: true; readonly certificates: readonly Uint8Array[] } | Failure;

// Spaces and tabs inside are tolerated, as in a PEM body whose line breaks a proxy flattened.
const BASE64_ITEM = /^[A-Za-z0-9+/][A-Za-z0-9+/ \t]*={0,2}$/;

/** Base64 DER certificates separated by commas, each checked strictly by the PEM reader. */
function base64List(text: string, header: string, maxItems: number): HeaderCertificate {
  const items = text.split(",").map((item) => item.trim());
  if (items.length > maxItems) return fail("CHAIN_TOO_LONG", `${header} holds ${items.length} certificates; at most ${maxItems} are read`);
  const bad = items.findIndex((item) => !BASE64_ITEM.test(item));
  if (bad >= 0) return fail("MALFORMED_CERTIFICATE", `${header}: item ${bad} is neither PEM nor base64 DER`, bad);
  const chain = decodePemChain(items.map((item) => `-----BEGIN CERTIFICATE-----\n${item}\n-----END CERTIFICATE-----\n`).join(""));
  return chain.ok ? chain : fail("MALFORMED_CERTIFICATE", `${header}: ${chain.message}`, chain.certIndex);
}

// What Caddy sends for a placeholder that has no value, such as
// {http.request.tls.client.certificate_der_base64} when the client sent no certificate.
const UNEXPANDED_PLACEHOLDER = /^\{[A-Za-z0-9_.-]+\}$/;

/**
 * Undefined when the value is empty or a proxy's placeholder left unexpanded (no
 * certificate); otherwise the certificates, leaf first, or why they cannot be read.
 */
export function certificatesFromHeader(value: string, header: string, maxItems: number): HeaderCertificate | undefined {
  let text = value.trim();
  if (text === "" || UNEXPANDED_PLACEHOLDER.test(text)) return undefined;
  if (text.includes("%")) {
    try {
      text = decodeURIComponent(text).trim();
    } catch {
      return fail("MALFORMED_CERTIFICATE", `${header}: bad URL encoding`);
    }
  }
  if (!text.includes("-----BEGIN")) return base64List(text, header, maxItems);
  const chain = decodePemChain(text);
  return chain.ok ? chain : fail("MALFORMED_CERTIFICATE", `${header}: ${chain.message}`, chain.certIndex);
}
