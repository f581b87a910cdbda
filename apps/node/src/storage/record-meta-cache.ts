/** A live record's metadata without its value: what the head checks conditions against. */
export interface RecordMeta {
  version: number;
  createdAt: number;
  modifications: number;
}

/**
 * The committed metadata of recently used keys, so the head's per-write lookup (`getRecordMeta`)
 * need not query SQLite for a key it has seen. `null` stands for "absent or deleted".
 *
 * It is filled only on reads (a miss loads the row) and kept exact by `ShardStore`: every commit
 * overwrites the entries of the keys it applied, but only of keys already held, so a replica that never
 * looks metadata up (a middle or tail) holds nothing. Anything else that changes `kv` must `clear()` it.
 * Bounded; the oldest inserted key goes first.
 */
export class RecordMetaCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, RecordMeta | null>();

  constructor(capacity: number) {
    this.#capacity = Math.max(0, Math.floor(capacity));
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached metadata, `null` for a key known absent, `undefined` when not cached. */
  get(key: string): RecordMeta | null | undefined {
    return this.#entries.get(key);
  }

  /** Caches what the database holds for `key` (after a miss). */
  remember(key: string, meta: RecordMeta | null): void {
    if (this.#capacity === 0) return;
    if (this.#entries.size >= this.#capacity && !this.#entries.has(key)) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, meta);
  }

  /** A committed write of `key`: overwrite the cached entry if there is one. */
  committed(key: string, meta: RecordMeta | null): void {
    if (this.#entries.has(key)) this.#entries.set(key, meta);
  }

  clear(): void {
    this.#entries.clear();
  }
}
