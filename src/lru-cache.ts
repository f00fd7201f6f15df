// A bounded least-recently-used map: Map keeps insertion order, so re-inserting on
// a hit moves an entry to the young end and the oldest is always first. A hit on an
// entry in the younger half is not moved: the order barely changes, and a hot entry
// costs one lookup instead of a delete and an insert on every request.

interface Entry<V> {
  readonly value: V;
  /** When the entry was last (re)inserted, counted in insertions. */
  readonly tick: number;
}

export class LruCache<K, V> {
  readonly #entries = new Map<K, Entry<V>>();
  readonly #capacity: number;
  #tick = 0;
  /**
   * Walks the map in insertion order across evictions. A fresh keys().next() would
   * step over every entry deleted at the front since the last rehash: quadratic
   * under churn.
   */
  #oldest: Iterator<K> | undefined;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`LRU capacity must be a positive integer, got ${capacity}`);
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (this.#tick - entry.tick >= this.#capacity / 2) this.#insert(key, entry.value);
    return entry.value;
  }

  set(key: K, value: V): void {
    this.#insert(key, value);
    if (this.#entries.size > this.#capacity) this.#evictOldest();
  }

  clear(): void {
    this.#entries.clear();
  }

  #evictOldest(): void {
    for (let fresh = false; ; fresh = true) {
      this.#oldest ??= this.#entries.keys();
      const next = this.#oldest.next();
      if (!next.done) {
        this.#entries.delete(next.value);
        return;
      }
      this.#oldest = undefined;
      if (fresh) return;
    }
  }

  #insert(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, tick: ++this.#tick });
  }
}
