// The worker thread that reads large CRLs (off-thread.ts starts it): decodes one CRL
// with the streaming reader, checks its signature against the keys it was given whose
// certificate names the CRL's issuer, and hands the DER and the index back without
// copying them.
import { createPublicKey } from "node:crypto";
import { parentPort } from "node:worker_threads";
import { signedDataVerifies } from "../pki/certificate/signature.ts";
import { decodeCrl } from "../pki/revocation/crl.ts";
import type { DecodeJob, DecodeReply } from "./off-thread.ts";

function verifiedBy(job: DecodeJob, crl: Extract<ReturnType<typeof decodeCrl>, { ok: true }>["crl"]): string[] {
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

parentPort!.on("message", (job: DecodeJob) => {
  const der = new Uint8Array(job.der);
  const decoded = decodeCrl(der);
  if (!decoded.ok) {
    parentPort!.postMessage({ id: job.id, ok: false, why: decoded.why } satisfies DecodeReply);
    return;
  }
  const { crl } = decoded;
  const index = crl.revoked.parts;
  const reply: DecodeReply = { id: job.id, ok: true, der: job.der, index, fingerprint: crl.fingerprint, verifiedBy: verifiedBy(job, crl) };
  const transfer = [job.der, index.slots.buffer, index.hashes.buffer, ...(index.issuerIds === undefined ? [] : [index.issuerIds.buffer])] as ArrayBuffer[];
  parentPort!.postMessage(reply, transfer);
});
