import type { LogEntry, StoredRecord, WriteResult } from '@star/protocol';

/** A row of `log` as better-sqlite3 returns it (BLOBs come back as Buffers). */
export interface LogRow {
  seq: number;
  term: number;
  op: 'put' | 'delete';
  key: string;
  created_at: number;
  modified_at: number;
  modifications: number;
  client_id: string | null;
  request_id: number | null;
  content_type: string | null;
  value: Buffer | null;
}

/** A row of `kv` without its key. */
export interface KvRow {
  version: number;
  deleted: number;
  created_at: number;
  modified_at: number;
  modifications: number;
  content_type: string | null;
  value: Buffer | null;
}

/** A live `kv` row as a raw array: version, created_at, modified_at, modifications, content_type, value. */
export type RawKvRow = [number, number, number, number, string | null, Buffer | null];

export interface RequestRow {
  seq: number;
  created_at: number;
  modified_at: number;
  modifications: number;
}

const empty = Buffer.alloc(0);

export function rowToEntry(row: LogRow): LogEntry {
  const entry: LogEntry = {
    seq: row.seq,
    term: row.term,
    op: row.op,
    key: row.key,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
    modifications: row.modifications,
  };
  if (row.op === 'put') entry.value = row.value ?? empty;
  if (row.content_type !== null) entry.contentType = row.content_type;
  if (row.client_id !== null) entry.clientId = row.client_id;
  if (row.request_id !== null) entry.requestId = row.request_id;
  return entry;
}

export function rowToRecord(key: string, row: KvRow): StoredRecord {
  const record: StoredRecord = {
    key,
    value: row.value ?? empty,
    version: row.version,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
    modifications: row.modifications,
  };
  if (row.content_type !== null) record.contentType = row.content_type;
  return record;
}

export function rawKvToRecord(key: string, row: RawKvRow): StoredRecord {
  const record: StoredRecord = {
    key,
    value: row[5] ?? empty,
    version: row[0],
    createdAt: row[1],
    modifiedAt: row[2],
    modifications: row[3],
  };
  if (row[4] !== null) record.contentType = row[4];
  return record;
}

export function rowToWriteResult(row: RequestRow): WriteResult {
  return {
    version: row.seq,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
    modifications: row.modifications,
  };
}

/** Positional parameters of the log insert, in `log` column order. */
export function entryParams(entry: LogEntry): unknown[] {
  return [
    entry.seq,
    entry.term,
    entry.op,
    entry.key,
    entry.createdAt,
    entry.modifiedAt,
    entry.modifications,
    entry.clientId ?? null,
    entry.requestId ?? null,
    entry.contentType ?? null,
    entry.op === 'put' ? entry.value : null,
  ];
}
