import { type Static, Type } from '@sinclair/typebox';
import { ScanQuery } from '../engine/scan-query.js';
import type { Predicate } from '../predicate/predicate.js';

/**
 * Import of a catalog table into a Star namespace — DESIGN, for the gateway and checkpointer
 * owner (it needs the KV API). `POST /v1/catalogs/{c}/import` takes an `ImportRequest`, answers 202
 * with the job id, and enqueues a BullMQ job (queue `star-imports`, job id `import:<catalog>:<id>`,
 * so a repeated request with the same `id` is the same job) that a checkpointer worker runs:
 *
 * 1. Scan the table ordered by `keyColumn` (pushed to SQL sources; `resumeQuery` adds
 *    `keyColumn > checkpoint.lastKey` on a restart).
 * 2. Write rows in batches of `batchSize` to the namespace with key = the row's `keyColumn` value
 *    (text) and value = the row as JSON (or one column's text with `valueColumn`).
 * 3. After a batch is acknowledged by the chain tails, record the checkpoint: the batch's last key
 *    and the counters (BullMQ `job.updateProgress(progress)`, also kept in job data).
 *
 * A worker killed midway leaves the job stalled; BullMQ hands it to another worker, which resumes
 * after `checkpoint.lastKey`. Rows of the batch in flight may be written twice, but a write is a
 * PUT of the same key with the same value, so the namespace ends with exactly one key per source
 * row: no duplicates. Rows whose key column is null are counted in `skippedNullKeys`, not written.
 */
export const ImportRequest = Type.Object(
  {
    /** Caller-chosen id: retrying the same request does not start a second import. */
    id: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }),
    /** The scan to copy: a table, optionally with columns and a filter (orderBy and limit are not allowed). */
    source: Type.Omit(ScanQuery, ['orderBy', 'limit']),
    namespace: Type.String({ minLength: 1 }),
    /** The column whose value becomes each record's key; must be unique in the source. */
    keyColumn: Type.String({ minLength: 1 }),
    /** Store this column's text as the value instead of the whole row as JSON. */
    valueColumn: Type.Optional(Type.String({ minLength: 1 })),
    batchSize: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
  },
  { additionalProperties: false },
);
export type ImportRequest = Static<typeof ImportRequest>;

/** What the job records after each acknowledged batch; a resumed job starts after `lastKey`. */
export interface ImportCheckpoint {
  lastKey: string | number | null;
  rows: number;
  bytes: number;
  skippedNullKeys: number;
}

/** BullMQ progress, as `GET /v1/catalogs/{c}/imports/{id}` would show it. */
export interface ImportProgress extends ImportCheckpoint {
  /** rows / the table's row count from statistics (capped at 99 until the job completes). */
  percent: number;
  state: 'waiting' | 'active' | 'completed' | 'failed';
}

export interface ImportJobData {
  catalog: string;
  request: ImportRequest;
  checkpoint?: ImportCheckpoint;
}

/** The scan a worker runs: ordered by the key column, resuming strictly after the checkpoint's last key. */
export function resumeQuery(request: ImportRequest, checkpoint?: ImportCheckpoint): ScanQuery {
  const { source, keyColumn } = request;
  const after: Predicate | undefined =
    checkpoint?.lastKey === undefined || checkpoint.lastKey === null
      ? undefined
      : { op: 'gt', column: keyColumn, value: checkpoint.lastKey };
  const terms = [source.filter, after].filter((term): term is Predicate => term !== undefined);
  const columns =
    source.columns && !source.columns.includes(keyColumn) ? [...source.columns, keyColumn] : source.columns;
  return {
    ...source,
    ...(columns ? { columns } : {}),
    ...(terms.length === 0 ? {} : { filter: terms.length === 1 ? terms[0]! : { op: 'and', args: terms } }),
    orderBy: [{ column: keyColumn, direction: 'asc' }],
  } as ScanQuery;
}
