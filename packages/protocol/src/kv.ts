import { type Static, Type } from '@sinclair/typebox';
import type { ErrorBody } from './errors.js';

/**
 * The key-value surface of node links beyond single-key put/get/delete: range scans at the tail,
 * a batch of operations in one frame (what the client's linger batching sends), and watches that
 * stream committed log entries. Versions are shard sequence numbers, so a watch resumes per shard.
 */

export const KvLimits = {
  /** Largest page a node scan answers with. */
  maxScanLimit: 10_000,
  /** Most operations in one `kv.batch` frame and in one public batch request. */
  maxBatchOps: 1_000,
} as const;

const ShardId = Type.Integer({ minimum: 0 });

export const ScanRequest = Type.Object({
  shard: ShardId,
  prefix: Type.Optional(Type.String()),
  /** Keys `>= start`. */
  start: Type.Optional(Type.String()),
  /** Keys `< end`. */
  end: Type.Optional(Type.String()),
  /** Keys `> after` (pagination: the last key of the previous page). */
  after: Type.Optional(Type.String()),
  limit: Type.Integer({ minimum: 1, maximum: KvLimits.maxScanLimit }),
  /** Include values (default: keys and metadata only). */
  values: Type.Optional(Type.Boolean()),
});
export type ScanRequest = Static<typeof ScanRequest>;

/** One record of a scan page; `value` and `contentType` only when values were asked for. */
export interface ScannedRecord {
  key: string;
  version: number;
  createdAt: number;
  modifiedAt: number;
  modifications: number;
  value?: Uint8Array;
  contentType?: string;
}

export interface ScanResponse {
  records: ScannedRecord[];
  /** Whether the shard may hold more keys in range after the last one returned. */
  more: boolean;
}

/** One operation of a `kv.batch` frame: a node method and its body. */
export const BatchOperation = Type.Object({
  method: Type.Union([Type.Literal('kv.put'), Type.Literal('kv.delete'), Type.Literal('kv.get')]),
  body: Type.Unknown(),
});
export type BatchOperation = Static<typeof BatchOperation>;

export const BatchRequest = Type.Object({
  ops: Type.Array(BatchOperation, { minItems: 1, maxItems: KvLimits.maxBatchOps }),
});
export type BatchRequest = Static<typeof BatchRequest>;

/** Each operation's own outcome, in request order. */
export type BatchResult = { ok: true; value: unknown } | { ok: false; error: ErrorBody };

export const WatchRequest = Type.Object({
  shard: ShardId,
  /** Chosen by the watcher; names the subscription in the events and in `kv.unwatch`. */
  watchId: Type.Integer({ minimum: 0 }),
  /** Deliver committed entries with seq > afterSeq; absent: from the replica's commit point on. */
  afterSeq: Type.Optional(Type.Integer({ minimum: 0 })),
  prefix: Type.Optional(Type.String()),
});
export type WatchRequest = Static<typeof WatchRequest>;

export const UnwatchRequest = Type.Object({ watchId: Type.Integer({ minimum: 0 }) });
export type UnwatchRequest = Static<typeof UnwatchRequest>;

export type WatchEventType = 'created' | 'modified' | 'deleted';

export interface WatchEvent {
  type: WatchEventType;
  key: string;
  /** The shard seq of the change: the key's version after it. */
  version: number;
  modifiedAt: number;
  /** For created/modified. */
  value?: Uint8Array;
  contentType?: string;
}

/** Node → watcher (notify): committed changes of one shard, in seq order. */
export interface WatchEventsNotice {
  watchId: number;
  shard: number;
  events: WatchEvent[];
  /** Every committed entry up to this seq has been considered (events hold the matching ones). */
  upToSeq: number;
}

/** Node → watcher (notify): the subscription ended; resume elsewhere from the last `upToSeq`. */
export interface WatchEndedNotice {
  watchId: number;
  shard: number;
  error: ErrorBody;
}

/**
 * Key order everywhere in Star: UTF-8 byte order (= code point order, SQLite's BINARY collation),
 * which differs from JavaScript's UTF-16 `<` for characters beyond U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
