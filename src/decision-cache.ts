// Whole decisions, keyed by the SHA-256 of the presented chain's DER plus the policy
// inputs that can change the answer; bounded by entry count (LRU) and by time:
// never past the earliest notAfter in the path or the configured TTL.
import { createHash } from "node:crypto";
import { LruCache } from "./lru-cache.ts";
import type { Reason } from "./reason.ts";

export interface CacheWindow {
  /** The decision holds from this instant (the latest notBefore in the path)... */
  readonly from: number;
  /** ...until this one (ms since the epoch), inclusive. */
  readonly until: number;
}

interface Entry<T> {
  readonly value: T;
  readonly window: CacheWindow;
}

/**
 * Decisions about the input itself, or that a later clock can change other than by
 * expiry, are never cached: they are cheap to recompute and would otherwise let
 * garbage fill the cache.
 */
const UNCACHEABLE = new Set<Reason>(["MALFORMED_CERTIFICATE", "CHAIN_TOO_LONG", "NO_CERTIFICATE", "INVALID_REQUEST_PATH", "CERTIFICATE_NOT_YET_VALID", "CERTIFICATE_EXPIRED", "REVOCATION_UNKNOWN", "CERTIFICATE_TOO_LARGE"]);

export function isCacheable(reason: Reason): boolean {
  return !UNCACHEABLE.has(reason);
}

/** Hash of the DER certificates, length-prefixed so that no two chains collide by concatenation. */
export function chainKey(certificates: readonly Uint8Array[]): string {
  const hash = createHash("sha256");
  const length = Buffer.alloc(4);
  for (const der of certificates) {
    length.writeUInt32BE(der.length);
    hash.update(length).update(der);
  }
  return hash.digest("base64");
}

export class DecisionCache<T> {
  readonly #entries: LruCache<string, Entry<T>>;
  readonly #ttlMs: number;

  constructor(maxEntries: number, ttlSeconds: number) {
    this.#entries = new LruCache(maxEntries);
    this.#ttlMs = ttlSeconds * 1000;
  }

  get(key: string, at: number): T | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    return at >= entry.window.from && at <= entry.window.until ? entry.value : undefined;
  }

  /** `window` comes from the path; the TTL, counted from `at`, bounds it further. */
  set(key: string, value: T, at: number, window: CacheWindow): void {
    this.#entries.set(key, { value, window: { from: window.from, until: Math.min(window.until, at + this.#ttlMs) } });
  }

  get size(): number {
    return this.#entries.size;
  }
}
