// PEM armour (RFC 7468) -> DER. Strict about what is inside a certificate block,
// tolerant of explanatory text between blocks, as RFC 7468 section 2 allows.
import { fail, type Failure } from "../reason.ts";

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export type PemChain = { readonly ok: true; readonly certificates: readonly Uint8Array[] } | Failure;

export function decodePemChain(text: string): PemChain {
  const certificates: Uint8Array[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [, label, body = "", endLabel] = match;
    const index = certificates.length;
    if (label !== endLabel) return fail("MALFORMED_CERTIFICATE", `PEM block ${index}: BEGIN ${label} closed by END ${endLabel}`, index);
    // Never echo the block: it could be a private key pasted by mistake.
    if (label !== "CERTIFICATE") return fail("MALFORMED_CERTIFICATE", `PEM block ${index}: expected CERTIFICATE, found ${label}`, index);
    const base64 = body.replace(/\s+/g, "");
    if (base64.length === 0 || base64.length % 4 !== 0 || !BASE64.test(base64)) {
      return fail("MALFORMED_CERTIFICATE", `PEM block ${index}: body is not valid base64`, index);
    }
    certificates.push(new Uint8Array(Buffer.from(base64, "base64")));
  }
  if (certificates.length === 0) {
    const reason = text.includes("-----BEGIN") ? "unterminated or malformed PEM block" : "no PEM CERTIFICATE block found";
    return fail("MALFORMED_CERTIFICATE", reason);
  }
  return { ok: true, certificates };
}

/** Accepts PEM text or a single DER certificate (files given to the CLI and config). */
export function decodeCertificateFile(bytes: Uint8Array): PemChain {
  if (bytes[0] === 0x30) return { ok: true, certificates: [bytes] };
  return decodePemChain(Buffer.from(bytes).toString("latin1"));
}
