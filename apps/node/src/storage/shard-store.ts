import { statSync } from 'node:fs';
import {
  type ChainConfig,
  type LogEntry,
  StarError,
  type StoredRecord,
  type WriteResult,
} from '@star/protocol';
import Database from 'better-sqlite3';
import { prefixEnd } from './key-range.js';
import { type RecordMeta, RecordMetaCache } from './record-meta-cache.js';
import { entryParams, type KvRow, rawKvToRecord, rowToEntry, rowToRecord, rowToWriteResult } from './rows.js';
import { MetaKeys, migrate } from './schema.js';
import { prepareStatements, type Statements, scanSql } from './statements.js';
import { isDiskFull } from './storage-health.js';

export interface ShardStoreOptions {
  /** `NORMAL` (default) survives a process crash; `FULL` also a power loss, at an fsync per commit. */
  synchronous?: 'NORMAL' | 'FULL';
  /** SQLite page cache of this store in KiB (default 16 MiB); `ShardDirectory` splits a budget. */
  cacheKiB?: number;
  /** Clock for `requests.applied_at` and `pruneRequests` (default `Date.now`). */
  now?: () => number;
  /** Keys whose committed metadata `getRecordMeta` keeps in memory (default 65,536; 0 turns it off). */
  recordMetaCacheEntries?: number;
  /**
   * Told when a write fails for want of space (SQLite's `SQLITE_FULL`); the write then throws
   * `InsufficientStorage` and, rolled back by SQLite, has changed nothing (see storage-health.ts).
   */
  onDiskFull?: (error: unknown) => void;
}

export interface ScanOptions {
  /** Only keys that start with this. */
  prefix?: string;
  /** Only keys `>= start`. */
  start?: string;
  /** Only keys `< end`. */
  end?: string;
  limit: number;
}

export interface TrimOptions {
  /** Entries deleted per transaction (default 10,000), so one call never holds the write lock long. */
  chunkSize?: number;
  /** At most this many entries per call (default: all); call again while it returns this many. */
  maxEntries?: number;
}

/** `readLog` asked for entries that `trimLog` already removed: the reader needs a snapshot instead. */
export class LogTrimmedError extends Error {
  constructor(
    readonly fromSeq: number,
    readonly firstLogSeq: number,
  ) {
    super(`log entries before seq ${firstLogSeq} are trimmed; cannot read from seq ${fromSeq}`);
    this.name = 'LogTrimmedError';
  }
}

export const defaultCacheKiB = 16 * 1024;
const walAutocheckpointPages = 8192;
const defaultRecordMetaCacheEntries = 65_536;
const commitReadChunk = 1000;
const pruneChunk = 10_000;

/**
 * Durable state of one shard replica in one SQLite file: the replicated log, the committed key-value
 * state (`kv`, tombstones for deletes), results of committed writes by request id, and meta (commit
 * point, chain config). Synchronous, like better-sqlite3; `lastSeq`, `lastTerm` and `commitSeq` are
 * cached in memory and only change once their transaction has committed.
 */
export class ShardStore {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #stmts: Statements;
  readonly #now: () => number;
  readonly #metaCache: RecordMetaCache;
  readonly #scans = new Map<string, Database.Statement<unknown[], KvRow & { key: string }>>();
  #lastSeq: number;
  #lastTerm: number;
  #commitSeq: number;
  #trimmedSeq: number;
  #trimmedTerm: number;
  /** Commit point reported from upstream (see `knownCommitSeq`); persisted in meta. */
  #knownCommitSeq: number;

  readonly #appendTx: (entries: readonly LogEntry[]) => void;
  readonly #appendAndCommitTx: (entries: readonly LogEntry[], uptoSeq: number) => void;
  readonly #commitTx: (entries: readonly LogEntry[], uptoSeq: number) => void;
  readonly #commitFromLogTx: (uptoSeq: number) => void;
  readonly #trimTx: (uptoSeq: number, term: number) => number;
  readonly #readTx: (read: () => void) => void;
  readonly #onDiskFull: ((error: unknown) => void) | undefined;

  static open(path: string, options: ShardStoreOptions = {}): ShardStore {
    const db = new Database(path, { timeout: 5000 });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
      db.pragma(`cache_size = ${-Math.max(256, Math.floor(options.cacheKiB ?? defaultCacheKiB))}`);
      db.pragma('mmap_size = 0');
      db.pragma('temp_store = FILE');
      // Checkpoint every 8,192 pages (32 MiB) instead of SQLite's 1,000: a checkpoint copies each page
      // once however often it changed in the WAL and syncs twice on the node's only thread, so rarer
      // ones copy far fewer pages per write and stall the chain less often.
      db.pragma(`wal_autocheckpoint = ${walAutocheckpointPages}`);
      // Keep the WAL file from staying huge after a burst: truncate it to 64 MiB after checkpoints.
      db.pragma('journal_size_limit = 67108864');
      migrate(db);
      return new ShardStore(path, db, options);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private constructor(path: string, db: Database.Database, options: ShardStoreOptions) {
    this.path = path;
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#onDiskFull = options.onDiskFull;
    this.#metaCache = new RecordMetaCache(options.recordMetaCacheEntries ?? defaultRecordMetaCacheEntries);
    const stmts = prepareStatements(db);
    this.#stmts = stmts;

    this.#commitSeq = metaNumber(stmts, MetaKeys.commitSeq);
    this.#trimmedSeq = metaNumber(stmts, MetaKeys.trimmedSeq);
    this.#trimmedTerm = metaNumber(stmts, MetaKeys.trimmedTerm);
    this.#knownCommitSeq = metaNumber(stmts, MetaKeys.knownCommitSeq);
    const last = stmts.lastLog.get();
    this.#lastSeq = last?.seq ?? this.#trimmedSeq;
    this.#lastTerm = last?.term ?? this.#trimmedTerm;
    if (this.#commitSeq > this.#lastSeq) {
      throw new Error(`${path}: commitSeq ${this.#commitSeq} is beyond the log's last seq ${this.#lastSeq}`);
    }

    const insert = (entries: readonly LogEntry[]) => {
      for (const entry of entries) stmts.insertLog.run(...entryParams(entry));
    };
    const apply = (entries: readonly LogEntry[], uptoSeq: number) => {
      const appliedAt = this.#now();
      for (const entry of entries) this.#apply(entry, appliedAt);
      stmts.setMeta.run(MetaKeys.commitSeq, uptoSeq);
    };
    this.#appendTx = this.#guarded(db.transaction(insert));
    this.#commitTx = this.#guarded(db.transaction(apply));
    this.#appendAndCommitTx = this.#guarded(
      db.transaction((entries: readonly LogEntry[], uptoSeq: number) => {
        insert(entries);
        apply(entries, uptoSeq);
      }),
    );
    this.#commitFromLogTx = this.#guarded(
      db.transaction((uptoSeq: number) => {
        const appliedAt = this.#now();
        let seq = this.#commitSeq;
        while (seq < uptoSeq) {
          const rows = stmts.readLogRange.all(seq, uptoSeq, commitReadChunk);
          for (const row of rows) {
            if (row.seq !== seq + 1) throw new Error(`commitFromLog: the log lacks seq ${seq + 1}`);
            this.#apply(rowToEntry(row), appliedAt);
            seq = row.seq;
          }
          if (rows.length === 0) throw new Error(`commitFromLog: the log lacks seq ${seq + 1}`);
        }
        stmts.setMeta.run(MetaKeys.commitSeq, uptoSeq);
      }),
    );
    this.#readTx = db.transaction((read: () => void) => read());
    this.#trimTx = this.#guarded(
      db.transaction((uptoSeq: number, term: number) => {
        const { changes } = stmts.deleteLogUpTo.run(uptoSeq);
        stmts.setMeta.run(MetaKeys.trimmedSeq, uptoSeq);
        stmts.setMeta.run(MetaKeys.trimmedTerm, term);
        return changes;
      }),
    );
  }

  /** `write`, with a disk-full failure reported and turned into the typed `InsufficientStorage`. */
  #guarded<A extends unknown[], R>(write: (...args: A) => R): (...args: A) => R {
    return (...args: A) => {
      try {
        return write(...args);
      } catch (error) {
        if (!isDiskFull(error)) throw error;
        this.#onDiskFull?.(error);
        throw new StarError(
          'InsufficientStorage',
          `this node cannot persist shard data: ${(error as Error).message}`,
        );
      }
    };
  }

  /** Seq of the newest entry in the log (0 when none was ever appended). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Term of the entry at `lastSeq` (0 when the log is empty). */
  get lastTerm(): number {
    return this.#lastTerm;
  }

  /** Highest committed seq: `kv` and `requests` reflect exactly the entries up to it. */
  get commitSeq(): number {
    return this.#commitSeq;
  }

  /** Highest commit point of the shard known here: this replica's own, or one a predecessor reported. */
  get knownCommitSeq(): number {
    return Math.max(this.#commitSeq, this.#knownCommitSeq);
  }

  /**
   * Remembers that the shard has committed up to `seq` (say a predecessor reported it while this
   * replica is still catching up), so a restart does not forget it. Never lowers what is known, and
   * writes only when it grows beyond this replica's own commit point (rare in steady state).
   */
  learnCommitSeq(seq: number): void {
    if (seq <= this.knownCommitSeq) return;
    this.#guarded(() => this.#stmts.setMeta.run(MetaKeys.knownCommitSeq, seq))();
    this.#knownCommitSeq = seq;
  }

  /** Lowest seq still in the log, or `lastSeq + 1` when the log is empty. */
  get firstLogSeq(): number {
    return this.#trimmedSeq + 1;
  }

  get isOpen(): boolean {
    return this.#db.open;
  }

  /**
   * Appends a batch durably in one transaction. The batch must continue the log: seqs `lastSeq + 1`
   * onwards without gaps and terms that never decrease; otherwise nothing is stored and this throws.
   */
  append(entries: readonly LogEntry[]): void {
    if (entries.length === 0) return;
    const { seq, term } = this.#checkAppend('append', entries);
    this.#appendTx(entries);
    this.#lastSeq = seq;
    this.#lastTerm = term;
  }

  /**
   * Appends a batch and commits it, in one transaction (one fsync under `FULL`): for a tail, which commits
   * on durable append. Everything before the batch must be committed already.
   */
  appendAndCommit(entries: readonly LogEntry[]): void {
    if (entries.length === 0) return;
    if (this.#commitSeq !== this.#lastSeq) {
      throw new Error(
        `appendAndCommit: entries ${this.#commitSeq + 1}..${this.#lastSeq} are not committed yet; nothing stored`,
      );
    }
    const { seq, term } = this.#checkAppend('appendAndCommit', entries);
    this.#appendAndCommitTx(entries, seq);
    this.#lastSeq = seq;
    this.#lastTerm = term;
    this.#commitSeq = seq;
    this.#cacheCommitted(entries);
  }

  #checkAppend(what: string, entries: readonly LogEntry[]): { seq: number; term: number } {
    let seq = this.#lastSeq;
    let term = this.#lastTerm;
    for (const entry of entries) {
      if (entry.seq !== seq + 1) {
        throw new Error(
          `${what}: expected seq ${seq + 1} but got ${entry.seq} (lastSeq ${this.#lastSeq}, ` +
            `batch ${entries[0]!.seq}..${entries[entries.length - 1]!.seq}); nothing stored`,
        );
      }
      if (entry.term < term) {
        throw new Error(`${what}: entry ${entry.seq} has term ${entry.term} below ${term}; nothing stored`);
      }
      if (entry.op === 'put' ? !(entry.value instanceof Uint8Array) : entry.op !== 'delete') {
        throw new Error(`${what}: entry ${entry.seq} is not a put with a value or a delete; nothing stored`);
      }
      seq = entry.seq;
      term = entry.term;
    }
    return { seq, term };
  }

  /**
   * Commits up to `uptoSeq` in one transaction, applying `entries` (the caller's in-memory copies) to the
   * committed state. Entries outside `(commitSeq, uptoSeq]` are ignored; those inside must all be there,
   * in order, and the last must match the log's term at `uptoSeq`.
   */
  commit(uptoSeq: number, entries: readonly LogEntry[]): void {
    if (!this.#checkCommitTarget('commit', uptoSeq)) return;
    const from = this.#commitSeq;
    const apply: LogEntry[] = [];
    for (const entry of entries) {
      if (entry.seq <= from || entry.seq > uptoSeq) continue;
      const expected = from + apply.length + 1;
      if (entry.seq !== expected) {
        throw new Error(`commit: expected entry ${expected} but got ${entry.seq}; entries must be in order`);
      }
      apply.push(entry);
    }
    if (apply.length !== uptoSeq - from) {
      throw new Error(`commit: entries ${from + apply.length + 1}..${uptoSeq} are missing`);
    }
    const logTerm = this.#stmts.termAt.get(uptoSeq);
    const last = apply[apply.length - 1]!;
    if (logTerm !== last.term) {
      throw new Error(`commit: entry ${uptoSeq} has term ${last.term} but the log holds term ${logTerm}`);
    }
    this.#commitTx(apply, uptoSeq);
    this.#commitSeq = uptoSeq;
    this.#cacheCommitted(apply);
  }

  /** Commits up to `uptoSeq` from the log itself (after a restart, or when this replica becomes tail). */
  commitFromLog(uptoSeq: number = this.#lastSeq): void {
    if (!this.#checkCommitTarget('commitFromLog', uptoSeq)) return;
    this.#commitFromLogTx(uptoSeq);
    this.#commitSeq = uptoSeq;
    // Rare (restart, becoming tail): forgetting is simpler than tracking the keys read from the log.
    this.#metaCache.clear();
  }

  /** The committed record of `key`; `undefined` when absent or deleted. */
  getCommitted(key: string): StoredRecord | undefined {
    const row = this.#stmts.getKvRaw.get(key);
    return row === undefined ? undefined : rawKvToRecord(key, row);
  }

  /**
   * Runs `read` (lookups only) in one read transaction: one WAL read lock for many lookups instead of
   * one per statement, and one consistent snapshot for all of them.
   */
  readTransaction(read: () => void): void {
    this.#readTx(read);
  }

  /**
   * A live record's committed metadata without its value (what the head checks conditions against);
   * served from memory for keys looked up or committed recently.
   */
  getRecordMeta(key: string): RecordMeta | undefined {
    const cached = this.#metaCache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const row = this.#stmts.getRecordMeta.get(key);
    // A key never written is not remembered: a stream of new keys (a bulk load) would only churn
    // the cache. Its first commit leaves a row that the next lookup caches.
    if (row === undefined) return undefined;
    const meta =
      row.deleted !== 0
        ? null
        : { version: row.version, createdAt: row.created_at, modifications: row.modifications };
    this.#metaCache.remember(key, meta);
    return meta ?? undefined;
  }

  /** Version of the committed state of `key`, tombstones included; `undefined` when never written. */
  getVersion(key: string): { version: number; deleted: boolean } | undefined {
    const row = this.#stmts.getVersion.get(key);
    return row === undefined ? undefined : { version: row.version, deleted: row.deleted !== 0 };
  }

  /** Term of the entry at `seq` while the log still knows it (0 for seq 0); for log matching. */
  entryTerm(seq: number): number | undefined {
    if (seq === 0) return 0;
    if (seq === this.#trimmedSeq) return this.#trimmedTerm;
    if (seq < this.#trimmedSeq || seq > this.#lastSeq) return undefined;
    return this.#stmts.termAt.get(seq);
  }

  /** Up to `limit` entries from `fromSeq` on, in order; throws `LogTrimmedError` if those are trimmed. */
  readLog(fromSeq: number, limit: number): LogEntry[] {
    if (this.#trimmedSeq > 0 && fromSeq <= this.#trimmedSeq)
      throw new LogTrimmedError(fromSeq, this.firstLogSeq);
    if (limit <= 0 || fromSeq > this.#lastSeq) return [];
    return this.#stmts.readLog.all(fromSeq, limit).map(rowToEntry);
  }

  /** Every entry after `commitSeq`, in order (to rebuild dirty versions at startup). */
  uncommittedEntries(): LogEntry[] {
    const count = this.#lastSeq - this.#commitSeq;
    return count === 0
      ? []
      : this.#stmts.readLogRange.all(this.#commitSeq, this.#lastSeq, count).map(rowToEntry);
  }

  /** Drops every entry after `seq` (a diverged uncommitted suffix); refuses to drop committed entries. */
  truncateAfter(seq: number): void {
    if (seq < this.#commitSeq) {
      throw new Error(
        `truncateAfter: cannot drop committed entries (seq ${seq} < commitSeq ${this.#commitSeq})`,
      );
    }
    if (seq >= this.#lastSeq) return;
    const term = seq === this.#trimmedSeq ? this.#trimmedTerm : this.#stmts.termAt.get(seq);
    if (term === undefined) throw new Error(`truncateAfter: the log lacks seq ${seq}`);
    this.#guarded(() => this.#stmts.deleteLogAfter.run(seq))();
    this.#lastSeq = seq;
    this.#lastTerm = term;
  }

  /**
   * Deletes log entries with `seq <= commitSeq - keepTail`, oldest first, in chunked transactions.
   * Returns how many it deleted.
   */
  trimLog(keepTail: number, options: TrimOptions = {}): number {
    if (!Number.isInteger(keepTail) || keepTail < 0) throw new Error(`trimLog: bad keepTail ${keepTail}`);
    const chunkSize = Math.max(1, options.chunkSize ?? 10_000);
    const maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
    const limit = this.#commitSeq - keepTail;
    let deleted = 0;
    while (this.#trimmedSeq < limit && deleted < maxEntries) {
      const upto = Math.min(limit, this.#trimmedSeq + chunkSize, this.#trimmedSeq + (maxEntries - deleted));
      const term = this.#stmts.termAt.get(upto);
      if (term === undefined) throw new Error(`trimLog: the log lacks seq ${upto}`);
      deleted += this.#trimTx(upto, term);
      this.#trimmedSeq = upto;
      this.#trimmedTerm = term;
    }
    return deleted;
  }

  /** Result of the committed write with this request id, for answering a retry without applying it again. */
  lookupRequest(clientId: string, requestId: number): WriteResult | undefined {
    const row = this.#stmts.getRequest.get(clientId, requestId);
    return row === undefined ? undefined : rowToWriteResult(row);
  }

  /** Forgets request results applied more than `olderThanMs` ago; returns how many. */
  pruneRequests(olderThanMs: number): number {
    const cutoff = this.#now() - olderThanMs;
    let total = 0;
    for (;;) {
      const { changes } = this.#guarded(() => this.#stmts.pruneRequests.run(cutoff, pruneChunk))();
      total += changes;
      if (changes < pruneChunk) return total;
    }
  }

  saveConfig(config: ChainConfig): void {
    this.#guarded(() => this.#stmts.setMeta.run(MetaKeys.config, JSON.stringify(config)))();
  }

  loadConfig(): ChainConfig | undefined {
    const json = this.#stmts.getMeta.get(MetaKeys.config);
    return typeof json === 'string' ? (JSON.parse(json) as ChainConfig) : undefined;
  }

  /** Committed, non-deleted records in key order (UTF-8 byte order): prefix, `[start, end)`, limit. */
  scan(options: ScanOptions): StoredRecord[] {
    if (options.limit <= 0) return [];
    const lower: string[] = [];
    const upper: string[] = [];
    if (options.prefix !== undefined && options.prefix !== '') {
      lower.push(options.prefix);
      const end = prefixEnd(options.prefix);
      if (end !== undefined) upper.push(end);
    }
    if (options.start !== undefined) lower.push(options.start);
    if (options.end !== undefined) upper.push(options.end);
    const shape = `${lower.length}:${upper.length}`;
    let stmt = this.#scans.get(shape);
    if (stmt === undefined) {
      stmt = this.#db.prepare<unknown[], KvRow & { key: string }>(scanSql(lower.length, upper.length));
      this.#scans.set(shape, stmt);
    }
    return stmt.all(...lower, ...upper, options.limit).map((row) => rowToRecord(row.key, row));
  }

  /** Number of live (non-deleted) committed keys; a full scan of `kv`. */
  countKeys(): number {
    return this.#stmts.countKeys.get()!;
  }

  /** Bytes on disk: the database file plus its WAL. */
  fileSizeBytes(): number {
    return fileSize(this.path) + fileSize(`${this.path}-wal`);
  }

  /** The connection's effective settings, for status pages and tests. */
  settings(): { journalMode: string; synchronous: 'NORMAL' | 'FULL'; cacheKiB: number; mmapBytes: number } {
    const pragma = (name: string) => this.#db.pragma(name, { simple: true });
    const cacheSize = pragma('cache_size') as number;
    return {
      journalMode: String(pragma('journal_mode')),
      synchronous: pragma('synchronous') === 2 ? 'FULL' : 'NORMAL',
      cacheKiB: cacheSize < 0 ? -cacheSize : (cacheSize * (pragma('page_size') as number)) / 1024,
      mmapBytes: pragma('mmap_size') as number,
    };
  }

  /** Changes the page cache size (KiB), e.g. when a directory re-splits its budget. */
  setCacheKiB(kib: number): void {
    this.#db.pragma(`cache_size = ${-Math.max(256, Math.floor(kib))}`);
  }

  /**
   * Writes a consistent copy of the database to `path` with SQLite's online backup, which runs in steps
   * between other work; writes made meanwhile through this store are carried into the copy. Returns the
   * commit point the copy holds (its `kv` is exactly the state at that seq; its log may hold more).
   */
  async snapshotTo(path: string): Promise<{ seq: number }> {
    await this.#db.backup(path);
    const copy = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const seq = copy
        .prepare<[string], unknown>('SELECT value FROM meta WHERE name = ?')
        .pluck()
        .get(MetaKeys.commitSeq);
      return { seq: typeof seq === 'number' ? seq : 0 };
    } finally {
      copy.close();
    }
  }

  close(): void {
    if (!this.#db.open) return;
    this.#db.pragma('optimize');
    this.#db.close();
  }

  #checkCommitTarget(what: string, uptoSeq: number): boolean {
    if (!Number.isInteger(uptoSeq) || uptoSeq > this.#lastSeq) {
      throw new Error(`${what}: cannot commit up to ${uptoSeq} beyond lastSeq ${this.#lastSeq}`);
    }
    if (uptoSeq < this.#commitSeq) {
      throw new Error(`${what}: commit point ${uptoSeq} is below commitSeq ${this.#commitSeq}`);
    }
    return uptoSeq > this.#commitSeq;
  }

  /** After a commit transaction: the cached metadata of the keys it applied becomes theirs. */
  #cacheCommitted(entries: readonly LogEntry[]): void {
    if (this.#metaCache.size === 0) return;
    for (const entry of entries) this.#metaCache.committed(entry);
  }

  #apply(entry: LogEntry, appliedAt: number): void {
    const put = entry.op === 'put';
    this.#stmts.upsertKv.run(
      entry.key,
      entry.seq,
      put ? 0 : 1,
      entry.createdAt,
      entry.modifiedAt,
      entry.modifications,
      put ? (entry.contentType ?? null) : null,
      put ? entry.value : null,
    );
    if (entry.clientId != null && entry.requestId != null) {
      this.#stmts.insertRequest.run(
        entry.clientId,
        entry.requestId,
        entry.seq,
        entry.createdAt,
        entry.modifiedAt,
        entry.modifications,
        appliedAt,
      );
    }
  }
}

/** Opens (creating if needed) the store of one shard replica at `path`. */
export function openShardStore(path: string, options: ShardStoreOptions = {}): ShardStore {
  return ShardStore.open(path, options);
}

function metaNumber(stmts: Statements, name: string): number {
  const value = stmts.getMeta.get(name);
  return typeof value === 'number' ? value : 0;
}

function fileSize(path: string): number {
  return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
}
