// Reading a CRL without stalling requests: a small one is decoded in place (a worker
// round trip costs more), a large one in a worker thread, which also checks its
// signature against the keys certgate already knows for its issuer; the DER and the
// index come back by transfer, not by copy, and become a Crl only once complete, so a
// request sees either the CRL it had or the whole new one. The worker starts on first
// use and stops when idle, so a server without large CRLs never holds one.
import { Worker } from "node:worker_threads";
import type { Certificate } from "../pki/certificate/certificate.ts";
import { rememberSignedBy } from "../pki/certificate/signature.ts";
import { decodeCrl, type DecodedCrl } from "../pki/revocation/crl.ts";
import type { RevokedIndexParts } from "../pki/revocation/revoked-index.ts";

/** CRLs smaller than this are decoded in place (a 1,000-entry CRL: about 40 KB, under a millisecond). */
export const OFF_THREAD_BYTES = 1024 * 1024;
/** The worker exits after this long without work. */
const IDLE_MS = 10_000;

/** A key that may have signed the CRL: a certificate of the CRL issuer's name that certgate already holds. */
export interface SignerKey {
  readonly fingerprint: string;
  readonly subjectKey: string;
  /** SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
}

export interface DecodeJob {
  readonly id: number;
  readonly der: ArrayBuffer;
  readonly signers: readonly SignerKey[];
}

export type DecodeReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly der: ArrayBuffer;
      readonly index: RevokedIndexParts;
      readonly fingerprint: string;
      readonly verifiedBy: readonly string[];
    }
  | { readonly id: number; readonly ok: false; readonly why: string };

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

  decode(der: ArrayBuffer, signers: readonly SignerKey[]): Promise<DecodeReply> {
    const worker = this.#started();
    clearTimeout(this.#idle);
    // Held while it works (a command awaiting only this job must not exit), let go when idle.
    worker.ref();
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      worker.postMessage({ id, der, signers } satisfies DecodeJob, [der]);
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

/**
 * `der` decoded, off the event loop when it is large; its signature checked there
 * with each of `signers` that names the CRL's issuer (the verdicts are remembered, so
 * judging the CRL later costs no hash of it). `der` is handed over: do not use it after.
 */
export async function decodeCrlOffThread(der: Uint8Array, signers: readonly SignerKey[]): Promise<DecodedCrl> {
  if (der.byteLength < OFF_THREAD_BYTES) return decodeCrl(der);
  const reply = await worker.decode(ownBuffer(der), signers);
  if (!reply.ok) return { ok: false, why: reply.why };
  const decoded = decodeCrl(new Uint8Array(reply.der), { index: reply.index, fingerprint: reply.fingerprint });
  if (decoded.ok) for (const fingerprint of reply.verifiedBy) rememberSignedBy(decoded.crl.signed, fingerprint, true);
  return decoded;
}
