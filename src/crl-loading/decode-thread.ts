// The worker thread that reads large CRL files (off-thread.ts starts it): PEM or DER
// to CRLs with the streaming reader, each signature checked against the keys it was
// given whose certificate names the CRL's issuer, and the DER and the index handed
// back without copying them.
import { createPublicKey } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort } from "node:worker_threads";
import { signedDataVerifies } from "../pki/certificate/signature.ts";
import { readPemFile } from "../pki/pem.ts";
import { decodeCrl, type Crl } from "../pki/revocation/crl.ts";
import type { DecodeJob, DecodeReply, DecodedParts } from "./off-thread.ts";

function verifiedBy(job: DecodeJob, crl: Crl): string[] {
  return job.signers
    .filter((signer) => signer.subjectKey === crl.issuer.key)
    .filter((signer) => {
      try {
        return signedDataVerifies(crl.signed, createPublicKey({ key: Buffer.from(signer.spki), format: "der", type: "spki" }));
      } catch {
        return false;
      }
    })
    .map((signer) => signer.fingerprint);
}

/** An ArrayBuffer holding exactly `bytes` (a decoded PEM block may sit in a larger one). */
function exact(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer);
}

function bytesOf(source: DecodeJob["source"]): Uint8Array | string {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  try {
    return readFileSync(source.path);
  } catch (error) {
    return `cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
}

function decodeFile(job: DecodeJob): DecodeReply {
  const bytes = bytesOf(job.source);
  if (typeof bytes === "string") return { id: job.id, ok: false, why: bytes };
  const contents = readPemFile(bytes, "crl");
  if (!contents.ok) return { id: job.id, ok: false, why: contents.message.replace("CERTIFICATE", "X509 CRL") };
  const crls: DecodedParts[] = [];
  for (const block of contents.crls) {
    const der = new Uint8Array(exact(block));
    const decoded = decodeCrl(der);
    if (!decoded.ok) return { id: job.id, ok: false, why: `not a usable CRL: ${decoded.why}` };
    const { crl } = decoded;
    crls.push({ der: crl.der.buffer as ArrayBuffer, index: crl.revoked.parts, fingerprint: crl.fingerprint, verifiedBy: verifiedBy(job, crl) });
  }
  return { id: job.id, ok: true, crls };
}

/**
 * The worker yields the CPU to the event loop: on Linux a thread has its own nice
 * value, so this thread (and only it) runs at the lowest priority that still
 * progresses. Elsewhere, or where it is not allowed, it runs as it is.
 */
function lowerOwnPriority(): void {
  try {
    const thread = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (Number.isInteger(thread) && thread > 0) setPriority(thread, 10);
  } catch {
    // Not Linux, or /proc is not mounted: the priority stays.
  }
}

lowerOwnPriority();
parentPort!.on("message", (job: DecodeJob) => {
  const reply = decodeFile(job);
  const transfer = reply.ok
    ? reply.crls.flatMap(({ der, index }) => [der, index.table.buffer, ...(index.issuerIds === undefined ? [] : [index.issuerIds.buffer])])
    : [];
  parentPort!.postMessage(reply, transfer as ArrayBuffer[]);
});
