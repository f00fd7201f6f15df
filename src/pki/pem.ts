// PEM armour (RFC 7468) -> DER. Strict about what is inside a certificate block,
// tolerant of explanatory text between blocks, as RFC 7468 section 2 allows. Two
// readers: the request's chain (certificates only: a private key in a request is
// refused, and said so) and files as users keep them (a client.pem with its key, a
// CA bundle with CRLs), which `openssl verify -CAfile` reads too.
import { fail, type Failure } from "../reason.ts";

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const CERTIFICATE_LABELS = new Set(["CERTIFICATE", "X509 CERTIFICATE"]);
const CRL_LABELS = new Set(["X509 CRL"]);

export type PemChain = { readonly ok: true; readonly certificates: readonly Uint8Array[] } | Failure;

interface Block {
  readonly index: number;
  readonly label: string;
  readonly der: Uint8Array;
}

const isPrivateKey = (label: string) => label.endsWith("PRIVATE KEY");

/** Every PEM block of `text`, decoded; a malformed block (mismatched END, bad base64) fails the whole text. */
function pemBlocks(text: string): Block[] | Failure {
  const blocks: Block[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [, begin = "", body = "", end] = match;
    const index = blocks.length;
    if (begin !== end) return fail("MALFORMED_CERTIFICATE", `PEM block ${index}: BEGIN ${begin} closed by END ${end}`, index);
    const base64 = body.replace(/\s+/g, "");
    // A private key's body is never checked or echoed, only recognised by its label.
    if (!isPrivateKey(begin) && (base64.length === 0 || base64.length % 4 !== 0 || !BASE64.test(base64))) {
      return fail("MALFORMED_CERTIFICATE", `PEM block ${index}: body is not valid base64`, index);
    }
    blocks.push({ index, label: begin, der: isPrivateKey(begin) ? new Uint8Array() : new Uint8Array(Buffer.from(base64, "base64")) });
  }
  return blocks;
}

function noBlock(text: string, what: string): Failure {
  return fail("MALFORMED_CERTIFICATE", text.includes("-----BEGIN") ? "unterminated or malformed PEM block" : `no PEM ${what} block found`);
}

/** A request's chain: CERTIFICATE blocks only; anything else, a private key above all, is refused. */
export function decodePemChain(text: string): PemChain {
  const blocks = pemBlocks(text);
  if (!Array.isArray(blocks)) return blocks;
  for (const { index, label } of blocks) {
    if (isPrivateKey(label)) {
      return fail(
        "MALFORMED_CERTIFICATE",
        `PEM block ${index} is a private key (${label}): send only the certificate chain, never a key (and replace that key: it has left its owner)`,
        index,
      );
    }
    if (!CERTIFICATE_LABELS.has(label)) return fail("MALFORMED_CERTIFICATE", `PEM block ${index}: expected CERTIFICATE, found ${label}`, index);
  }
  if (blocks.length === 0) return noBlock(text, "CERTIFICATE");
  return { ok: true, certificates: blocks.map((block) => block.der) };
}

/** What a file held: its certificates and CRLs, and a note for each block that was skipped. */
export interface FileContents {
  readonly ok: true;
  readonly certificates: readonly Uint8Array[];
  readonly crls: readonly Uint8Array[];
  /** "PEM block 2 (PRIVATE KEY) skipped: ..." - never the block's content. */
  readonly skipped: readonly string[];
}

/**
 * A certificate or CRL file as users keep them: PEM with any mix of blocks, or one
 * DER structure (`der` says which: a certificate file or a CRL file). Certificates
 * and CRLs are taken; private keys and other blocks are skipped with a note.
 */
export function readPemFile(bytes: Uint8Array, der: "certificate" | "crl"): FileContents | Failure {
  if (bytes[0] === 0x30) return { ok: true, certificates: der === "certificate" ? [bytes] : [], crls: der === "crl" ? [bytes] : [], skipped: [] };
  const text = Buffer.from(bytes).toString("latin1");
  const blocks = pemBlocks(text);
  if (!Array.isArray(blocks)) return blocks;
  const certificates = blocks.filter((block) => CERTIFICATE_LABELS.has(block.label)).map((block) => block.der);
  const crls = blocks.filter((block) => CRL_LABELS.has(block.label)).map((block) => block.der);
  const skipped = blocks
    .filter((block) => !CERTIFICATE_LABELS.has(block.label) && !CRL_LABELS.has(block.label))
    .map(({ index, label }) => `PEM block ${index} (${label}) skipped${isPrivateKey(label) ? ": a private key is not needed and was not read" : ""}`);
  const wanted = der === "crl" ? "X509 CRL" : "CERTIFICATE";
  if (certificates.length === 0 && crls.length === 0 && blocks.length > 0) {
    return fail("MALFORMED_CERTIFICATE", `no PEM ${wanted} block found; the file holds only ${[...new Set(blocks.map((block) => block.label))].join(", ")}`);
  }
  if (certificates.length === 0 && crls.length === 0) return noBlock(text, wanted);
  return { ok: true, certificates, crls, skipped };
}
