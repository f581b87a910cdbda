import { setImmediate as yieldToWrites } from 'node:timers/promises';
import type { CompactionResult } from '@star/protocol';
import Database from 'better-sqlite3';
import type { ShardStore } from './shard-store.js';

/** Rows per transaction: each one holds the write lock for a millisecond or so. */
const CHUNK = 500;

export interface CompactionOptions {
  /** Tombstones and log entries last modified before `now - olderThanMs` go. */
  olderThanMs: number;
  /** The log is trimmed at most up to this seq (the newest snapshot's: it can replace what goes). */
  trimLogUpTo: number;
  now?: number;
}

/**
 * Compaction of one replica: drops tombstones (deleted keys) and log entries (superseded versions
 * and the rest of the log's history) older than the retention window. It runs in small
 * transactions and yields to the event loop between them, so writes go on meanwhile. Tombstones
 * are invisible to reads and conditions (a deleted key and an absent one answer alike), so replicas
 * need not drop them at the same moment.
 */
export async function compactShard(store: ShardStore, options: CompactionOptions): Promise<CompactionResult> {
  const cutoff = (options.now ?? Date.now()) - options.olderThanMs;
  // A connection of its own: ShardStore's prepared statements stay untouched, and in one thread
  // the two never wait on each other's lock.
  const db = new Database(store.path, { fileMustExist: true, timeout: 5_000 });
  let tombstonesDropped = 0;
  let logEntriesDropped = 0;
  try {
    const dropTombstones = db.prepare<[number, number]>(
      `DELETE FROM kv WHERE key IN
         (SELECT key FROM kv WHERE deleted = 1 AND modified_at < ? LIMIT ?)`,
    );
    for (;;) {
      const { changes } = dropTombstones.run(cutoff, CHUNK);
      tombstonesDropped += changes;
      if (changes < CHUNK) break;
      await yieldToWrites();
    }
    const newestOld = db
      .prepare<[number, number], unknown>('SELECT max(seq) FROM log WHERE seq <= ? AND modified_at < ?')
      .pluck();
    const upto = Math.min(options.trimLogUpTo, store.commitSeq);
    const last = newestOld.get(upto, cutoff);
    const trimTo = typeof last === 'number' ? last : 0;
    while (store.isOpen && store.firstLogSeq <= trimTo) {
      // trimLog keeps `keepTail` entries behind the commit point, which moves: recompute each time.
      const dropped = store.trimLog(Math.max(0, store.commitSeq - trimTo), { maxEntries: CHUNK });
      logEntriesDropped += dropped;
      if (dropped === 0) break;
      await yieldToWrites();
    }
  } finally {
    db.close();
  }
  return { tombstonesDropped, logEntriesDropped };
}
