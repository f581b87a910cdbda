import type { LogEntry } from '@star/protocol';

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
  /** Mutable slots, so a commit updates a held key with one lookup and no allocation. */
  readonly #entries = new Map<string, RecordMeta & { exists: boolean }>();

  constructor(capacity: number) {
    this.#capacity = Math.max(0, Math.floor(capacity));
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached metadata (read it at once; a commit overwrites it), `null` for a key known absent, `undefined` when not cached. */
  get(key: string): Readonly<RecordMeta> | null | undefined {
    const slot = this.#entries.get(key);
    return slot === undefined ? undefined : slot.exists ? slot : null;
  }

  /** Caches what the database holds for `key` (after a miss). */
  remember(key: string, meta: RecordMeta | null): void {
    if (this.#capacity === 0) return;
    if (this.#entries.size >= this.#capacity && !this.#entries.has(key)) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { exists: meta !== null, version: 0, createdAt: 0, modifications: 0, ...meta });
  }

  /** A log entry committed: overwrite its key's cached metadata if there is one (a put's seq is its version). */
  committed(entry: LogEntry): void {
    const slot = this.#entries.get(entry.key);
    if (slot === undefined) return;
    slot.exists = entry.op === 'put';
    slot.version = entry.seq;
    slot.createdAt = entry.createdAt;
    slot.modifications = entry.modifications;
  }

  clear(): void {
    this.#entries.clear();
  }
}
