import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { type SnapshotChunk, SnapshotChunkBytes, type SnapshotTaken, StarError } from '@star/protocol';
import Database from 'better-sqlite3';
import { MetaKeys } from './schema.js';
import type { ShardStore } from './shard-store.js';

/** A snapshot not read from for this long is dropped (its checkpointer died or gave up). */
const IDLE_EXPIRY_MS = 10 * 60_000;

interface HeldSnapshot extends SnapshotTaken {
  path: string;
  /** On the monotonic clock: a wall-clock step must not expire a snapshot being read. */
  touchedAt: number;
}

/**
 * Snapshots a node takes of its shard replicas for checkpointers (DESIGN §5): a better-sqlite3
 * online backup of the shard's database (it copies in steps between other work, carrying writes
 * made meanwhile into the copy), held in `<dataDir>/snapshots/` until the checkpointer has read it
 * in chunks and released it. The copy's committed state is exactly the shard at its commit point.
 */
export class ShardSnapshotter {
  readonly #directory: string;
  readonly #held = new Map<string, HeldSnapshot>();

  constructor(dataDir: string) {
    this.#directory = join(dataDir, 'snapshots');
    // Copies held before a restart belong to jobs that have failed over by now.
    rmSync(this.#directory, { recursive: true, force: true });
    mkdirSync(this.#directory, { recursive: true });
  }

  async take(shard: number, store: ShardStore): Promise<SnapshotTaken> {
    this.#expireIdle();
    const id = `${shard}-${Date.now()}-${randomBytes(4).toString('hex')}`;
    const path = join(this.#directory, `${id}.sqlite`);
    try {
      await store.snapshotTo(path);
      const { seq, term } = readSnapshotPoint(path);
      const taken: HeldSnapshot = {
        id,
        shard,
        seq,
        term,
        bytes: statSync(path).size,
        path,
        touchedAt: performance.now(),
      };
      this.#held.set(id, taken);
      return { id, shard, seq, term, bytes: taken.bytes };
    } catch (error) {
      removeDatabaseFiles(path);
      throw error;
    }
  }

  async read(id: string, offset: number, length: number): Promise<SnapshotChunk> {
    const held = this.#held.get(id);
    if (held === undefined)
      throw new StarError('NotFound', `no snapshot ${id} is held here (released or expired)`);
    held.touchedAt = performance.now();
    const size = Math.max(0, Math.min(length, SnapshotChunkBytes, held.bytes - offset));
    const data = Buffer.alloc(size);
    const handle = await open(held.path, 'r');
    try {
      let done = 0;
      while (done < size) {
        const { bytesRead } = await handle.read(data, done, size - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return { data: data.subarray(0, done), eof: offset + done >= held.bytes };
    } finally {
      await handle.close();
    }
  }

  release(id: string): void {
    const held = this.#held.get(id);
    this.#held.delete(id);
    if (held !== undefined) removeDatabaseFiles(held.path);
  }

  get heldCount(): number {
    return this.#held.size;
  }

  close(): void {
    for (const id of [...this.#held.keys()]) this.release(id);
  }

  #expireIdle(): void {
    const now = performance.now();
    for (const [id, held] of this.#held) if (now - held.touchedAt > IDLE_EXPIRY_MS) this.release(id);
  }
}

/** The commit point of a snapshot file and the term of its entry there. */
export function readSnapshotPoint(path: string): { seq: number; term: number } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const meta = db.prepare<[string], unknown>('SELECT value FROM meta WHERE name = ?').pluck();
    const seq = numberOr0(meta.get(MetaKeys.commitSeq));
    if (seq === 0) return { seq, term: 0 };
    const logTerm = db.prepare<[number], unknown>('SELECT term FROM log WHERE seq = ?').pluck().get(seq);
    if (typeof logTerm === 'number') return { seq, term: logTerm };
    if (numberOr0(meta.get(MetaKeys.trimmedSeq)) === seq)
      return { seq, term: numberOr0(meta.get(MetaKeys.trimmedTerm)) };
    throw new Error(`${path}: the snapshot knows no term for its commit point ${seq}`);
  } finally {
    db.close();
  }
}

/**
 * Turns a snapshot file into the database of a new replica: the committed state at `seq` and an
 * empty log that starts after it (trim point = `seq`, with its term, for the handshake's log
 * matching); uncommitted entries and the source node's chain configuration are dropped.
 */
export function prepareReplicaDatabase(path: string): { seq: number; term: number } {
  const { seq, term } = readSnapshotPoint(path);
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma('journal_mode = DELETE');
    db.transaction(() => {
      db.prepare('DELETE FROM log').run();
      const setMeta = db.prepare(
        'INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      );
      setMeta.run(MetaKeys.trimmedSeq, seq);
      setMeta.run(MetaKeys.trimmedTerm, term);
      db.prepare('DELETE FROM meta WHERE name = ?').run(MetaKeys.config);
    })();
  } finally {
    db.close();
  }
  return { seq, term };
}

export function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
}

function numberOr0(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}
