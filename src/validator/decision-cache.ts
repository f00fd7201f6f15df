// Whole decisions, keyed by the SHA-256 of the presented chain's DER plus the policy
// inputs that can change the answer; bounded by entry count (least recently used
// first out) and by time: never past the earliest notAfter in the path or the
// configured TTL. Each entry is one small object: under a churn of distinct chains
// the cache is most of what certgate keeps.
import { createHash } from "node:crypto";
import { LruMap, type Stamped } from "../lru-cache.ts";
import type { Reason } from "../reason.ts";

export interface CacheWindow {
  /** The decision holds from this instant (the latest notBefore in the path)... */
  readonly from: number;
  /** ...until this one (ms since the epoch), inclusive. */
  readonly until: number;
}

interface Entry<T> extends Stamped {
  readonly value: T;
  /** The window in whole seconds since the cache was made: small integers, stored unboxed. */
  readonly from: number;
  readonly until: number;
}

function restamp<T>(entry: Entry<T>, tick: number): Entry<T> {
  return { ...entry, tick };
}

/**
 * Decisions about the input itself, or that a later clock can change other than by
 * expiry, are never cached: they are cheap to recompute and would otherwise let
 * garbage fill the cache.
 */
const UNCACHEABLE = new Set<Reason>([
  "MALFORMED_CERTIFICATE",
  "CHAIN_TOO_LONG",
  "NO_CERTIFICATE",
  "INVALID_REQUEST_PATH",
  "CERTIFICATE_NOT_YET_VALID",
  "CERTIFICATE_EXPIRED",
  "REVOCATION_UNKNOWN",
  "CERTIFICATE_TOO_LARGE",
]);

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
  readonly #entries: LruMap<string, Entry<T>>;
  readonly #ttlMs: number;
  /** Window times are kept in seconds relative to this instant. */
  #base: number | undefined;

  constructor(maxEntries: number, ttlSeconds: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`decision cache size must be a positive integer, got ${maxEntries}`);
    this.#entries = new LruMap(maxEntries);
    this.#ttlMs = ttlSeconds * 1000;
  }

  get(key: string, at: number): T | undefined {
    const entry = this.#entries.peek(key);
    if (entry === undefined || this.#base === undefined) return undefined;
    const second = Math.floor((at - this.#base) / 1000);
    if (second < entry.from || second > entry.until) return undefined;
    this.#entries.touch(key, entry, restamp);
    return entry.value;
  }

  /** `window` comes from the path; the TTL, counted from `at`, bounds it further. */
  set(key: string, value: T, at: number, window: CacheWindow): void {
    this.#base ??= at;
    const until = Math.min(window.until, at + this.#ttlMs);
    // Rounded inwards, so a decision is never reused outside its window (at most a second of it goes unused).
    const from = Math.ceil((window.from - this.#base) / 1000);
    this.#entries.set(key, { value, from, until: Math.floor((until - this.#base) / 1000) - 1, tick: this.#entries.stamp() });
  }

  get size(): number {
    return this.#entries.size;
  }
}
