// PEM armour (RFC 7468) -> DER. Strict about what is inside a certificate block,
// tolerant of explanatory text between blocks, as RFC 7468 section 2 allows. Two
// readers: the request's chain (certificates only: a private key in a request is
// refused, and said so) and files as users keep them (a client.pem with its key, a
// CA bundle with CRLs), which `openssl verify -CAfile` reads too.
import { fail, type Failure } from "../reason.ts";

const CERTIFICATE_LABELS = new Set(["CERTIFICATE", "X509 CERTIFICATE"]);
const CRL_LABELS = new Set(["X509 CRL"]);

export type PemChain = { readonly ok: true; readonly certificates: readonly Uint8Array[] } | Failure;

interface Block {
  readonly index: number;
  readonly label: string;
  readonly der: Uint8Array;
}

const isPrivateKey = (label: string) => label.endsWith("PRIVATE KEY");

/** Per byte, its class in a PEM body: a base64 character, white space, "=", anything else. */
const BASE64 = 0;
const WHITE = 1;
const PAD = 2;
const INVALID = 4;
const BYTE_CLASS = new Uint8Array(256).fill(INVALID);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") BYTE_CLASS[c.charCodeAt(0)] = BASE64;
for (const c of " \t\r\n") BYTE_CLASS[c.charCodeAt(0)] = WHITE;
BYTE_CLASS["=".charCodeAt(0)] = PAD;

/**
 * Strict base64 (RFC 4648 section 4, white space between characters allowed, at most
 * two "=" and only at the end), checked in one tight pass and then decoded natively: a
 * 66 MB PEM CRL becomes its 49 MB of DER in a tenth of a second. Node's decoder alone
 * would skip characters that are not base64; the pass refuses them first. undefined
 * when the body is not base64.
 */
function base64Bytes(bytes: Uint8Array, start: number, end: number): Uint8Array | undefined {
  let classes = 0;
  let white = 0;
  for (let i = start; i < end; i++) {
    const kind = BYTE_CLASS[bytes[i]!]!;
    classes |= kind;
    white += kind & WHITE;
  }
  const characters = end - start - white;
  if ((classes & INVALID) !== 0 || characters % 4 !== 0 || characters === 0) return undefined;
  const pads = (classes & PAD) === 0 ? 0 : padding(bytes, start, end);
  if (pads > 2) return undefined;
  // Decoded into a buffer of exactly its size: a CRL keeps these bytes, and a larger one would be copied.
  const der = new Uint8Array((characters / 4) * 3 - pads);
  const written = Buffer.from(der.buffer).write(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("latin1"), "base64");
  return written === der.length ? der : undefined;
}

/** How many "=" end the body; 3 (refused) when a base64 character follows one. */
function padding(bytes: Uint8Array, start: number, end: number): number {
  let pads = 0;
  for (let i = bytes.indexOf(0x3d, start); i < end; i++) {
    const kind = BYTE_CLASS[bytes[i]!]!;
    if (kind === BASE64) return 3;
    if (kind === PAD) pads++;
  }
  return pads;
}

const LABEL = /^[A-Z0-9 ]+$/;

/**
 * Every PEM block, decoded; a malformed block (mismatched END, bad base64) fails the
 * whole input. Over bytes, as files arrive: the markers found natively, each body
 * checked and decoded where it lies.
 */
function pemBlocks(bytes: Uint8Array): Block[] | Failure {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks: Block[] = [];
  for (let at = text.indexOf("-----BEGIN ", 0, "latin1"); at >= 0; at = text.indexOf("-----BEGIN ", at + 1, "latin1")) {
    const labelEnd = text.indexOf("-----", at + 11, "latin1");
    const begin = labelEnd < 0 ? "" : text.toString("latin1", at + 11, labelEnd);
    if (!LABEL.test(begin)) continue;
    const endMarker = text.indexOf("-----END ", labelEnd + 5, "latin1");
    const endLabelEnd = endMarker < 0 ? -1 : text.indexOf("-----", endMarker + 9, "latin1");
    if (endLabelEnd < 0) break;
    const end = text.toString("latin1", endMarker + 9, endLabelEnd);
    const index = blocks.length;
    if (begin !== end) return fail("MALFORMED_CERTIFICATE", `PEM block ${index}: BEGIN ${begin} closed by END ${end}`, index);
    // A private key's body is never checked or echoed, only recognised by its label.
    const der = isPrivateKey(begin) ? new Uint8Array() : base64Bytes(bytes, labelEnd + 5, endMarker);
    if (der === undefined) return fail("MALFORMED_CERTIFICATE", `PEM block ${index}: body is not valid base64`, index);
    blocks.push({ index, label: begin, der });
    at = endLabelEnd;
  }
  return blocks;
}

function noBlock(bytes: Uint8Array, what: string): Failure {
  const begun = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes("-----BEGIN");
  return fail("MALFORMED_CERTIFICATE", begun ? "unterminated or malformed PEM block" : `no PEM ${what} block found`);
}

/** A request's chain: CERTIFICATE blocks only; anything else, a private key above all, is refused. */
export function decodePemChain(text: string): PemChain {
  // As UTF-8, so a character beyond Latin-1 in a body is an invalid byte, never a letter.
  const bytes = Buffer.from(text, "utf8");
  const blocks = pemBlocks(bytes);
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
  if (blocks.length === 0) return noBlock(bytes, "CERTIFICATE");
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
  const blocks = pemBlocks(bytes);
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
  if (certificates.length === 0 && crls.length === 0) return noBlock(bytes, wanted);
  return { ok: true, certificates, crls, skipped };
}
