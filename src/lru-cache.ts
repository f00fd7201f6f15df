// Bounded least-recently-used maps. Map keeps insertion order, so re-inserting on a
// hit moves an entry to the young end and the oldest is always first. A hit on an
// entry in the younger half is not moved: the order barely changes, and a hot entry
// costs one lookup instead of a delete and an insert on every request.

/** An entry stamped with when it was last (re)inserted, counted in insertions. */
export interface Stamped {
  readonly tick: number;
}

/**
 * The order and the bound, over entries of the caller's shape (one object per key,
 * which matters under churn): LruCache wraps a value; DecisionCache keeps its validity
 * window in the same object.
 */
export class LruMap<K, E extends Stamped> {
  readonly #entries = new Map<K, E>();
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

  /** The entry as stored, without counting a hit. */
  peek(key: K): E | undefined {
    return this.#entries.get(key);
  }

  /** A hit on `entry`: in the older half, it moves to the young end as `restamp` rebuilds it. */
  touch(key: K, entry: E, restamp: (entry: E, tick: number) => E): void {
    if (this.#tick - entry.tick >= this.#capacity / 2) this.#insert(key, restamp(entry, ++this.#tick));
  }

  /** The stamp for an entry about to be set. */
  stamp(): number {
    return ++this.#tick;
  }

  /** Adds or replaces `key`, then drops the least recently used entry past the bound. */
  set(key: K, entry: E): void {
    this.#insert(key, entry);
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

  #insert(key: K, entry: E): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
  }
}

interface Entry<V> extends Stamped {
  readonly value: V;
}

function restamp<V>(entry: Entry<V>, tick: number): Entry<V> {
  return { value: entry.value, tick };
}

export class LruCache<K, V> {
  readonly #map: LruMap<K, Entry<V>>;

  constructor(capacity: number) {
    this.#map = new LruMap(capacity);
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const entry = this.#map.peek(key);
    if (entry === undefined) return undefined;
    this.#map.touch(key, entry, restamp);
    return entry.value;
  }

  set(key: K, value: V): void {
    this.#map.set(key, { value, tick: this.#map.stamp() });
  }

  clear(): void {
    this.#map.clear();
  }
}
