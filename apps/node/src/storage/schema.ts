import type Database from 'better-sqlite3';

/**
 * The on-disk schema of one shard replica, migrated by `PRAGMA user_version`.
 *
 * Column order matters: SQLite stores a row's columns in order and spills a large value into a chain of
 * overflow pages, so the value BLOB comes last and reading a row's metadata never walks that chain.
 * Keys compare with the BINARY collation, i.e. in UTF-8 byte order, which is the order scans return.
 */
const migrations: readonly string[] = [
  // 1: log, committed state, request results, meta.
  `
  CREATE TABLE log (
    seq INTEGER PRIMARY KEY,
    term INTEGER NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('put', 'delete')),
    key TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    modified_at INTEGER NOT NULL,
    modifications INTEGER NOT NULL,
    client_id TEXT,
    request_id INTEGER,
    content_type TEXT,
    value BLOB
  );
  CREATE TABLE kv (
    key TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    modified_at INTEGER NOT NULL,
    modifications INTEGER NOT NULL,
    content_type TEXT,
    value BLOB
  ) WITHOUT ROWID;
  CREATE TABLE requests (
    client_id TEXT NOT NULL,
    request_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    modified_at INTEGER NOT NULL,
    modifications INTEGER NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, request_id)
  ) WITHOUT ROWID;
  CREATE INDEX requests_applied_at ON requests (applied_at);
  CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value
  ) WITHOUT ROWID;
  `,
];

/** The schema version this code writes; a database with a newer one is refused. */
export const schemaVersion = migrations.length;

/** Names of the rows of the `meta` table. */
export const MetaKeys = {
  /** Highest committed seq: `kv` and `requests` hold exactly the entries up to it. */
  commitSeq: 'commitSeq',
  /** Seq and term of the newest entry `trimLog` removed (0 when none), so an empty log still knows both. */
  trimmedSeq: 'trimmedSeq',
  trimmedTerm: 'trimmedTerm',
  /** JSON of the shard's `ChainConfig`. */
  config: 'config',
  /**
   * Highest commit point of the shard this replica was told of by a predecessor (0 when none beyond
   * its own `commitSeq`); may be beyond its log. A fact of the history, so it only grows (DESIGN §3.13).
   */
  knownCommitSeq: 'knownCommitSeq',
} as const;

/** Brings the database up to `schemaVersion` in one transaction; throws on a newer, unknown schema. */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > schemaVersion) {
    throw new Error(
      `${db.name}: schema version ${current} is newer than this build understands (${schemaVersion})`,
    );
  }
  if (current === schemaVersion) return;
  db.transaction(() => {
    for (let version = current; version < schemaVersion; version++) db.exec(migrations[version]!);
    db.pragma(`user_version = ${schemaVersion}`);
  })();
}
