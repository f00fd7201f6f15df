// A single client certificate carried in a configured header (WSO2's X-SSL-CERT,
// nginx's $ssl_client_escaped_cert): URL-encoded or plain PEM, or bare base64 DER.
// PEM bodies whose newlines became spaces or tabs are accepted, as proxies send them.
import { fail, type Failure } from "../reason.ts";
import { decodePemChain } from "../pki/pem.ts";

export type HeaderCertificate = { readonly ok: true; readonly certificates: readonly Uint8Array[] } | Failure;

export function certificateFromHeader(value: string, header: string): HeaderCertificate {
  let text = value.trim();
  if (text.includes("%")) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return fail("MALFORMED_CERTIFICATE", `${header}: bad URL encoding`);
    }
  }
  if (!text.includes("-----BEGIN")) text = `-----BEGIN CERTIFICATE-----\n${text}\n-----END CERTIFICATE-----\n`;
  const chain = decodePemChain(text);
  if (!chain.ok) return fail("MALFORMED_CERTIFICATE", `${header}: ${chain.message}`);
  return chain;
}
