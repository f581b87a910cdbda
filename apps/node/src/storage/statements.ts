import type Database from 'better-sqlite3';
import type { LogRow, RawKvRow, RequestRow } from './rows.js';

const logColumns =
  'seq, term, op, key, created_at, modified_at, modifications, client_id, request_id, content_type, value';

type Stmt<Params extends unknown[], Row = unknown> = Database.Statement<Params, Row>;

/** Every statement of the hot paths, prepared once per store. */
export interface Statements {
  insertLog: Stmt<unknown[]>;
  lastLog: Stmt<[], { seq: number; term: number }>;
  termAt: Stmt<[number], number>;
  readLog: Stmt<[number, number], LogRow>;
  /** Entries in (from, upto], in order, at most limit: `(from, upto, limit)`. */
  readLogRange: Stmt<[number, number, number], LogRow>;
  deleteLogAfter: Stmt<[number]>;
  deleteLogUpTo: Stmt<[number]>;
  upsertKv: Stmt<unknown[]>;
  /** A live record as an array in `RawKvRow` order (raw rows skip building an object per lookup). */
  getKvRaw: Stmt<[string], RawKvRow>;
  getVersion: Stmt<[string], { version: number; deleted: number }>;
  getRecordMeta: Stmt<
    [string],
    { version: number; deleted: number; created_at: number; modifications: number }
  >;
  countKeys: Stmt<[], number>;
  insertRequest: Stmt<unknown[]>;
  getRequest: Stmt<[string, number], RequestRow>;
  /** `(appliedBefore, limit)` */
  pruneRequests: Stmt<[number, number]>;
  getMeta: Stmt<[string], unknown>;
  setMeta: Stmt<[string, unknown]>;
}

export function prepareStatements(db: Database.Database): Statements {
  return {
    insertLog: db.prepare<unknown[]>(
      `INSERT INTO log (${logColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    lastLog: db.prepare<[], { seq: number; term: number }>(
      'SELECT seq, term FROM log ORDER BY seq DESC LIMIT 1',
    ),
    termAt: db.prepare<[number], number>('SELECT term FROM log WHERE seq = ?').pluck(),
    readLog: db.prepare<[number, number], LogRow>(
      `SELECT ${logColumns} FROM log WHERE seq >= ? ORDER BY seq LIMIT ?`,
    ),
    readLogRange: db.prepare<[number, number, number], LogRow>(
      `SELECT ${logColumns} FROM log WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
    ),
    deleteLogAfter: db.prepare<[number]>('DELETE FROM log WHERE seq > ?'),
    deleteLogUpTo: db.prepare<[number]>('DELETE FROM log WHERE seq <= ?'),

    upsertKv: db.prepare<unknown[]>(
      `INSERT INTO kv (key, version, deleted, created_at, modified_at, modifications, content_type, value)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET
         version = excluded.version, deleted = excluded.deleted, created_at = excluded.created_at,
         modified_at = excluded.modified_at, modifications = excluded.modifications,
         content_type = excluded.content_type, value = excluded.value`,
    ),
    getKvRaw: db
      .prepare<[string], RawKvRow>(
        'SELECT version, created_at, modified_at, modifications, content_type, value FROM kv WHERE key = ? AND deleted = 0',
      )
      .raw(),
    getVersion: db.prepare<[string], { version: number; deleted: number }>(
      'SELECT version, deleted FROM kv WHERE key = ?',
    ),
    getRecordMeta: db.prepare<
      [string],
      { version: number; deleted: number; created_at: number; modifications: number }
    >('SELECT version, deleted, created_at, modifications FROM kv WHERE key = ?'),
    countKeys: db.prepare<[], number>('SELECT count(*) FROM kv WHERE deleted = 0').pluck(),

    insertRequest: db.prepare<unknown[]>(
      `INSERT INTO requests (client_id, request_id, seq, created_at, modified_at, modifications, applied_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ),
    getRequest: db.prepare<[string, number], RequestRow>(
      'SELECT seq, created_at, modified_at, modifications FROM requests WHERE client_id = ? AND request_id = ?',
    ),
    pruneRequests: db.prepare<[number, number]>(
      `DELETE FROM requests WHERE (client_id, request_id) IN
         (SELECT client_id, request_id FROM requests WHERE applied_at < ? LIMIT ?)`,
    ),

    getMeta: db.prepare<[string], unknown>('SELECT value FROM meta WHERE name = ?').pluck(),
    setMeta: db.prepare<[string, unknown]>(
      'INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    ),
  };
}

/** `SELECT` of committed, live records between optional bounds (`>=` lower, `<` upper), in key order. */
export function scanSql(lowerBounds: number, upperBounds: number): string {
  const where = ['deleted = 0'];
  for (let i = 0; i < lowerBounds; i++) where.push('key >= ?');
  for (let i = 0; i < upperBounds; i++) where.push('key < ?');
  return `SELECT key, version, deleted, created_at, modified_at, modifications, content_type, value
    FROM kv WHERE ${where.join(' AND ')} ORDER BY key LIMIT ?`;
}
