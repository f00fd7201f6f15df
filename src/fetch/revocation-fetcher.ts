// Fetching CRLs (HTTP GET of a distribution point) and OCSP answers (HTTP POST to
// the AIA responder) into a RevocationStore, each bounded in time and size. A
// source that fails is remembered as failed for a while, so a dead responder costs
// one timeout, not one per request.
import { decodeCrl } from "../pki/revocation/crl.ts";
import { decodeOcspResponse, encodeOcspRequest } from "../pki/revocation/ocsp.ts";
import { readPemFile } from "../pki/pem.ts";
import { unusable } from "../reason.ts";
import type { RevocationNeed } from "../pki/revocation/check.ts";
import type { RevocationStore } from "../pki/revocation/store.ts";

export interface FetchLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly failureBackoffMs: number;
}

export type RevocationFetcher = (store: RevocationStore, needs: readonly RevocationNeed[]) => Promise<void>;

async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw new Error(`response of ${declared} bytes exceeds ${maxBytes}`);
  const reader = response.body?.getReader();
  if (reader === undefined) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel();
      throw new Error(`response exceeds ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

async function fetchBytes(url: string, init: RequestInit, limits: FetchLimits): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  const response = await fetch(url, { ...init, signal, redirect: "error" });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  // The body is read under the same deadline.
  return await Promise.race([
    readCapped(response, limits.maxBytes),
    new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(new Error("timed out")), { once: true })),
  ]);
}

async function fetchOne(store: RevocationStore, need: RevocationNeed, limits: FetchLimits): Promise<void> {
  try {
    if (need.kind === "crl") {
      const bytes = await fetchBytes(need.url, { method: "GET" }, limits);
      // Distribution points serve DER; PEM is accepted as well.
      const contents = readPemFile(bytes, "crl");
      const decoded = contents.ok && contents.crls[0] !== undefined ? decodeCrl(contents.crls[0]) : unusable("not a CRL");
      if (!decoded.ok) throw new Error(decoded.why);
      store.addCrl(decoded.crl);
      store.recordAttempt(need.url, Date.now() + limits.failureBackoffMs);
    } else {
      const body = encodeOcspRequest(need.certificate, need.issuer);
      const bytes = await fetchBytes(need.url, { method: "POST", body, headers: { "content-type": "application/ocsp-request" } }, limits);
      const decoded = decodeOcspResponse(bytes);
      if (!decoded.ok) throw new Error(decoded.why);
      store.addOcspResponse(decoded.response);
      store.recordAttempt(need.url, Date.now() + limits.failureBackoffMs);
    }
  } catch (error) {
    const detail = error instanceof Error ? (error.name === "TimeoutError" ? "timed out" : error.message) : String(error);
    const why = `${need.kind.toUpperCase()} ${need.url}: ${detail}`;
    store.recordAttempt(need.url, Date.now() + limits.failureBackoffMs, why);
  }
}

export function createRevocationFetcher(limits: FetchLimits): RevocationFetcher {
  // Concurrent requests for the same source share one fetch.
  const inFlight = new Map<string, Promise<void>>();
  return async (store, needs) => {
    await Promise.all(
      needs.map((need) => {
        const key = need.kind === "ocsp" ? `${need.url}#${need.certificate.fingerprint}` : need.url;
        let pending = inFlight.get(key);
        if (pending === undefined) {
          pending = fetchOne(store, need, limits).finally(() => inFlight.delete(key));
          inFlight.set(key, pending);
        }
        return pending;
      }),
    );
  };
}
