// Fetching CRLs (HTTP GET of a distribution point) and OCSP answers (HTTP POST to
// the AIA responder) into a RevocationStore, each bounded in time and size. A CRL is
// read into one buffer as it arrives (sized by Content-Length when given), decoded
// off the event loop when large, and replaces the CRL fetched before from the same
// URL. A source that fails is remembered as failed for a while, so a dead responder
// costs one timeout, not one per request, and says why.
import { decodeCrlFileOffThread, signerKeys } from "../crl-loading/off-thread.ts";
import type { RevocationNeed } from "../pki/revocation/check.ts";
import { decodeOcspResponse, encodeOcspRequest } from "../pki/revocation/ocsp.ts";
import { problem, type ProblemWhy } from "../pki/revocation/problem.ts";
import type { RevocationStore } from "../pki/revocation/store.ts";

export interface FetchLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly failureBackoffMs: number;
}

export type RevocationFetcher = (store: RevocationStore, needs: readonly RevocationNeed[]) => Promise<void>;

/** A fetch that failed, and which kind of failure it was. */
class FetchError extends Error {
  readonly why: ProblemWhy;

  constructor(why: ProblemWhy, message: string) {
    super(message);
    this.why = why;
  }
}

/** The body in one buffer, grown as needed; refused as soon as it passes `maxBytes`. */
async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw new FetchError("unreachable", `response of ${declared} bytes exceeds revocation.max_fetch_bytes (${maxBytes})`);
  const reader = response.body?.getReader();
  if (reader === undefined) return new Uint8Array();
  let buffer = new Uint8Array(declared > 0 ? declared : 64 * 1024);
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > maxBytes) {
      await reader.cancel();
      throw new FetchError("unreachable", `response exceeds revocation.max_fetch_bytes (${maxBytes})`);
    }
    if (size + value.length > buffer.length) {
      const grown = new Uint8Array(Math.min(maxBytes, Math.max(buffer.length * 2, size + value.length)));
      grown.set(buffer.subarray(0, size));
      buffer = grown;
    }
    buffer.set(value, size);
    size += value.length;
  }
  return size === buffer.length ? buffer : buffer.slice(0, size);
}

async function fetchBytes(url: string, init: RequestInit, limits: FetchLimits): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  const response = await fetch(url, { ...init, signal, redirect: "error" });
  if (!response.ok) throw new FetchError("unreachable", `HTTP ${response.status}`);
  // The body is read under the same deadline.
  return await Promise.race([
    readCapped(response, limits.maxBytes),
    new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(new FetchError("unreachable", "timed out")), { once: true })),
  ]);
}

async function fetchCrl(store: RevocationStore, need: RevocationNeed, limits: FetchLimits): Promise<void> {
  const bytes = await fetchBytes(need.url, { method: "GET" }, limits);
  // Distribution points serve DER; PEM is accepted as well.
  const decoded = await decodeCrlFileOffThread(bytes, signerKeys([need.issuer]));
  if (!decoded.ok) throw new FetchError("unparseable", decoded.why);
  const crl = decoded.crls[0];
  if (crl === undefined) throw new FetchError("unparseable", "not a CRL");
  store.addCrl(crl, need.url);
}

async function fetchOcsp(store: RevocationStore, need: RevocationNeed, limits: FetchLimits): Promise<void> {
  const body = encodeOcspRequest(need.certificate, need.issuer);
  const bytes = await fetchBytes(need.url, { method: "POST", body, headers: { "content-type": "application/ocsp-request" } }, limits);
  const decoded = decodeOcspResponse(bytes);
  if (!decoded.ok) throw new FetchError("unparseable", decoded.why);
  store.addOcspResponse(decoded.response);
}

async function fetchOne(store: RevocationStore, need: RevocationNeed, limits: FetchLimits): Promise<void> {
  try {
    await (need.kind === "crl" ? fetchCrl(store, need, limits) : fetchOcsp(store, need, limits));
    store.recordAttempt(need.url, Date.now() + limits.failureBackoffMs);
  } catch (error) {
    const why = error instanceof FetchError ? error.why : "unreachable";
    const detail = error instanceof Error ? (error.name === "TimeoutError" ? "timed out" : error.message) : String(error);
    store.recordAttempt(need.url, Date.now() + limits.failureBackoffMs, problem(need.kind, need.url, why, `${need.kind.toUpperCase()} ${need.url}: ${detail}`));
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
