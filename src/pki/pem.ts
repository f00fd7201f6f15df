// PEM armour (RFC 7468) -> DER. Strict about what is inside a certificate block,
// tolerant of explanatory text between blocks, as RFC 7468 section 2 allows.
import { fail, type Failure } from "../reason.ts";

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export type PemChain = { readonly ok: true; readonly certificates: readonly Uint8Array[] } | Failure;

export function decodePemChain(text: string): PemChain {
  return decodePemBlocks(text, "CERTIFICATE");
}

/** Every block labelled `label` ("CERTIFICATE", "X509 CRL"); any other label is refused. */
export function decodePemBlocks(text: string, label: string): PemChain {
  const certificates: Uint8Array[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [, begin, body = "", end] = match;
    const index = certificates.length;
    if (begin !== end) return fail("MALFORMED_CERTIFICATE", `PEM block ${index}: BEGIN ${begin} closed by END ${end}`, index);
    // Never echo the block: it could be a private key pasted by mistake.
    if (begin !== label) return fail("MALFORMED_CERTIFICATE", `PEM block ${index}: expected ${label}, found ${begin}`, index);
    const base64 = body.replace(/\s+/g, "");
    if (base64.length === 0 || base64.length % 4 !== 0 || !BASE64.test(base64)) {
      return fail("MALFORMED_CERTIFICATE", `PEM block ${index}: body is not valid base64`, index);
    }
    certificates.push(new Uint8Array(Buffer.from(base64, "base64")));
  }
  if (certificates.length === 0) {
    const reason = text.includes("-----BEGIN") ? "unterminated or malformed PEM block" : `no PEM ${label} block found`;
    return fail("MALFORMED_CERTIFICATE", reason);
  }
  return { ok: true, certificates };
}

/** Accepts PEM text or a single DER structure (files given to the CLI and config, fetched CRLs). */
export function decodeCertificateFile(bytes: Uint8Array, label = "CERTIFICATE"): PemChain {
  if (bytes[0] === 0x30) return { ok: true, certificates: [bytes] };
  return decodePemBlocks(Buffer.from(bytes).toString("latin1"), label);
}
