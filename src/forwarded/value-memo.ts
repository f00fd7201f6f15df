// Results read from long header values, kept by value. A certificate header is 1-10 KB
// and arrives as a new string with every request, so a Map keyed by it (or by any
// string cut from it) hashes that many characters every time: measured, more than the
// rest of reading the request. This memo keys by a number folded from the length and
// 64 characters spread over the value (serial numbers, keys and signatures differ from
// one certificate to the next) and compares the whole value on a hit, which is a
// memcmp; two values with the same number only evict each other.
import { LruCache } from "../lru-cache.ts";

const SAMPLES = 64;

function sampleKey(value: string): number {
  let hash = value.length | 0;
  const step = Math.max(1, Math.floor(value.length / SAMPLES));
  for (let i = 0; i < value.length; i += step) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193);
  return hash;
}

export class LongValueMemo<V> {
  readonly #entries: LruCache<number, { readonly value: string; readonly result: V }>;

  constructor(capacity: number) {
    this.#entries = new LruCache(capacity);
  }

  get(value: string): V | undefined {
    const entry = this.#entries.get(sampleKey(value));
    return entry !== undefined && entry.value === value ? entry.result : undefined;
  }

  set(value: string, result: V): void {
    this.#entries.set(sampleKey(value), { value, result });
  }
}
