// Reading a CRL file without stalling requests: a small one is read in place (a worker
// round trip costs more), a large one in a worker thread - PEM decoding, the streaming
// reader and the signature check against the keys certgate already knows for its
// issuer - and its DER and index come back by transfer, not by copy. They become a
// Crl only once complete, so a request sees either the CRL it had or the whole new
// one. The worker starts on first use and stops when idle: a server without large
// CRLs never holds one.
import { Worker } from "node:worker_threads";
import type { Certificate } from "../pki/certificate/certificate.ts";
import { rememberSignedBy } from "../pki/certificate/signature.ts";
import { readPemFile } from "../pki/pem.ts";
import { decodeCrl, type Crl } from "../pki/revocation/crl.ts";
import type { RevokedIndexParts } from "../pki/revocation/revoked-index.ts";

/** Files smaller than this are read in place (a 1,000-entry CRL: about 40 KB, under a millisecond). */
export const OFF_THREAD_BYTES = 1024 * 1024;
/** The worker exits after this long without work. */
const IDLE_MS = 1000;

/** A key that may have signed the CRL: a certificate of the CRL issuer's name that certgate already holds. */
export interface SignerKey {
  readonly fingerprint: string;
  readonly subjectKey: string;
  /** SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
}

export interface DecodeJob {
  readonly id: number;
  /** A CRL file's bytes (PEM, any number of X509 CRL blocks, or one DER CRL), or the path the worker reads them from. */
  readonly source: ArrayBuffer | { readonly path: string };
  readonly signers: readonly SignerKey[];
}

/** One CRL as the worker hands it back: its DER, its index, and the signers whose key verified it. */
export interface DecodedParts {
  readonly der: ArrayBuffer;
  readonly index: RevokedIndexParts;
  readonly fingerprint: string;
  readonly verifiedBy: readonly string[];
}

export type DecodeReply =
  { readonly id: number; readonly ok: true; readonly crls: readonly DecodedParts[] } | { readonly id: number; readonly ok: false; readonly why: string };

export type DecodedCrlFile = { readonly ok: true; readonly crls: readonly Crl[] } | { readonly ok: false; readonly why: string };

/** The signer keys worth offering: certificates with a key of their own (not inheriting DSA parameters). */
export function signerKeys(certificates: readonly Certificate[]): SignerKey[] {
  const seen = new Set<string>();
  return certificates.flatMap((certificate) => {
    if (certificate.inheritsKeyParameters || seen.has(certificate.fingerprint)) return [];
    seen.add(certificate.fingerprint);
    return [{ fingerprint: certificate.fingerprint, subjectKey: certificate.subject.key, spki: certificate.publicKeyInfo }];
  });
}

class DecodeWorker {
  #worker: Worker | undefined;
  #idle: NodeJS.Timeout | undefined;
  #next = 1;
  readonly #pending = new Map<number, (reply: DecodeReply) => void>();

  decode(source: DecodeJob["source"], signers: readonly SignerKey[]): Promise<DecodeReply> {
    const worker = this.#started();
    clearTimeout(this.#idle);
    // Held while it works (a command awaiting only this job must not exit), let go when idle.
    worker.ref();
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      worker.postMessage({ id, source, signers } satisfies DecodeJob, source instanceof ArrayBuffer ? [source] : []);
    });
  }

  #started(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
    const worker = new Worker(new URL(`./decode-thread${extension}`, import.meta.url));
    worker.on("message", (reply: DecodeReply) => this.#settle(reply));
    worker.on("error", (error) => this.#fail(`the CRL worker failed: ${error.message}`));
    worker.on("exit", () => {
      this.#worker = undefined;
      this.#fail("the CRL worker exited");
    });
    this.#worker = worker;
    return worker;
  }

  #settle(reply: DecodeReply): void {
    this.#pending.get(reply.id)?.(reply);
    this.#pending.delete(reply.id);
    if (this.#pending.size > 0) return;
    this.#worker?.unref();
    this.#idle = setTimeout(() => void this.#worker?.terminate(), IDLE_MS).unref();
  }

  #fail(why: string): void {
    for (const [id, resolve] of this.#pending) resolve({ id, ok: false, why });
    this.#pending.clear();
  }
}

const worker = new DecodeWorker();

/** An ArrayBuffer holding exactly `bytes`, safe to transfer (a pooled or shared buffer is copied). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const exact = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  return exact ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer);
}

/** A small file, read here. */
function decodeInPlace(bytes: Uint8Array): DecodedCrlFile {
  const contents = readPemFile(bytes, "crl");
  if (!contents.ok) return { ok: false, why: contents.message.replace("CERTIFICATE", "X509 CRL") };
  const crls: Crl[] = [];
  for (const der of contents.crls) {
    const decoded = decodeCrl(der);
    if (!decoded.ok) return { ok: false, why: `not a usable CRL: ${decoded.why}` };
    crls.push(decoded.crl);
  }
  return { ok: true, crls };
}

/**
 * A CRL file's CRLs (PEM or DER), read off the event loop when the file is large,
 * each signature checked there with every one of `signers` that names the CRL's
 * issuer (the verdicts are remembered, so judging the CRL later costs no hash of it).
 * `bytes` is handed over: do not use it after.
 */
export async function decodeCrlFileOffThread(bytes: Uint8Array, signers: readonly SignerKey[]): Promise<DecodedCrlFile> {
  if (bytes.byteLength < OFF_THREAD_BYTES) return decodeInPlace(bytes);
  return decoded(await worker.decode(ownBuffer(bytes), signers));
}

/**
 * The CRLs of a large file, read from disk by the worker itself: the file's bytes never
 * land on the event loop's heap, whose collections their size would otherwise trigger.
 */
export async function decodeLargeCrlFile(path: string, signers: readonly SignerKey[]): Promise<DecodedCrlFile> {
  return decoded(await worker.decode({ path }, signers));
}

function decoded(reply: DecodeReply): DecodedCrlFile {
  if (!reply.ok) return reply;
  const crls: Crl[] = [];
  for (const parts of reply.crls) {
    const crl = decodeCrl(new Uint8Array(parts.der), { index: parts.index, fingerprint: parts.fingerprint });
    if (!crl.ok) return { ok: false, why: `not a usable CRL: ${crl.why}` };
    for (const fingerprint of parts.verifiedBy) rememberSignedBy(crl.crl.signed, fingerprint, true);
    crls.push(crl.crl);
  }
  return { ok: true, crls };
}
