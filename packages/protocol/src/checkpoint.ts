import { type Static, Type } from '@sinclair/typebox';

/**
 * Checkpoints (DESIGN §5): the BullMQ queues the manager and the checkpointers share, the job
 * payloads, the ids jobs are given (derived from what they produce, so enqueueing twice is one job),
 * the manifests written beside images and snapshots, and the node link methods snapshots use.
 */

/** One queue per kind of checkpoint work, so each has its own counts, dashboard and concurrency. */
export const CheckpointQueues = {
  managerImages: 'star-manager-images',
  shardSnapshots: 'star-shard-snapshots',
  shardCompaction: 'star-shard-compaction',
} as const;
export type CheckpointQueueName = (typeof CheckpointQueues)[keyof typeof CheckpointQueues];

/** Redis key prefix of the checkpoint queues (BullMQ's own keys live under it). */
export { QueueKeyPrefix as CheckpointQueuePrefix } from './control-plane.js';

/**
 * Options of every checkpoint job, whoever enqueues it: retried with exponential backoff; finished
 * jobs are kept for a while, which is also what makes a second enqueue of the same id a no-op.
 */
export const checkpointJobOptions = {
  attempts: 6,
  backoff: { type: 'exponential' as const, delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 1_000 },
};

/** Options of the scheduler ticks: nothing to keep once done. */
export const checkpointTickOptions = {
  attempts: 1,
  removeOnComplete: { count: 20 },
  removeOnFail: { count: 100 },
};

/** Job names within the queues. */
export const CheckpointJobs = {
  /** Scheduler tick: enqueue a manager image if the journal passed N entries or T seconds. */
  imageCheck: 'image-check',
  /** Write `image.<journalId>`. */
  managerImage: 'manager-image',
  /** Scheduler tick: enqueue a snapshot of every shard that moved on since its newest snapshot. */
  snapshotCheck: 'snapshot-check',
  /** Snapshot one shard. */
  shardSnapshot: 'shard-snapshot',
  /** Compact one replica of one shard. */
  shardCompaction: 'shard-compaction',
} as const;

/** Ids of the job schedulers the manager leader upserts (upsert: a restart never adds a second one). */
export const CheckpointSchedulers = {
  imageCheck: 'manager-image-trigger',
  snapshotCheck: 'shard-snapshot-trigger',
} as const;

/** The tick's thresholds travel in the job, so checkpointers need no manager settings. */
export interface ImageCheckJob {
  /** Enqueue an image once this many journal entries follow the newest image. */
  maxEntries: number;
  /** ...or once the newest image is this old and at least one entry follows it. */
  maxAgeMs: number;
}

export interface ManagerImageJob {
  /** The image covers the journal up to and including this stream id. */
  journalId: string;
}

export interface SnapshotCheckJob {
  /** Snapshot a shard once its commit point moved this many entries past its newest snapshot. */
  minNewEntries: number;
}

export interface ShardSnapshotJob {
  shard: number;
  /** The snapshot must cover at least this seq (the commit point when it was asked for). */
  minSeq: number;
}

export interface ShardCompactionJob {
  shard: number;
  /** The replica to compact. */
  node: string;
  /** Tombstones and log entries older than this are dropped. */
  retentionMs: number;
}

/** What every job returns: who did it, so a pool's spread of work is visible. */
export interface CheckpointJobResult {
  worker: string;
  [detail: string]: unknown;
}

/** Job progress: percent done and bytes written so far. */
export interface CheckpointProgress {
  percent: number;
  bytes: number;
}

/** Job ids: what the job produces, so the same request twice is one job. */
export const CheckpointJobIds = {
  managerImage: (journalId: string) => `image.${journalId}`,
  shardSnapshot: (shard: number, minSeq: number) => `snapshot.${shard}.${minSeq}`,
  shardCompaction: (shard: number, node: string, window: number) => `compact.${shard}.${node}.${window}`,
} as const;

/** Formats of what the store holds; a reader refuses a format it does not know. */
export const CheckpointFormats = { managerImage: 1, shardSnapshot: 1 } as const;

/** What every manifest says: the file it describes, its size and checksum. */
const StoredFileFields = {
  name: Type.String(),
  bytes: Type.Integer({ minimum: 0 }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  formatVersion: Type.Integer({ minimum: 1 }),
  createdAt: Type.Integer(),
};

export const ManagerImageManifest = Type.Object({
  ...StoredFileFields,
  kind: Type.Literal('manager-image'),
  /** Journal stream id the image covers up to (inclusive). */
  journalId: Type.String(),
  /** Journal entries folded into it since the beginning. */
  entries: Type.Integer({ minimum: 0 }),
});
export type ManagerImageManifest = Static<typeof ManagerImageManifest>;

export const ShardSnapshotManifest = Type.Object({
  ...StoredFileFields,
  kind: Type.Literal('shard-snapshot'),
  shard: Type.Integer({ minimum: 0 }),
  /** The snapshot's state is exactly the shard's committed state at this seq. */
  seq: Type.Integer({ minimum: 0 }),
  /** Term of the entry at `seq` (0 when seq is 0), for the chain handshake's log matching. */
  term: Type.Integer({ minimum: 0 }),
  /** Node the snapshot was taken from. */
  node: Type.String(),
});
export type ShardSnapshotManifest = Static<typeof ShardSnapshotManifest>;

/** Where the image store is: a directory by default, shared by managers, checkpointers and nodes. */
export const ImageStoreSettings = Type.Object({
  imageDir: Type.String({ minLength: 1, default: 'star-images' }),
});
export type ImageStoreSettings = Static<typeof ImageStoreSettings>;

/** Node link methods for snapshots, re-seeding and compaction. */
export const SnapshotMethods = {
  /** Checkpointer → node: `{ shard }` → `SnapshotTaken`: an online backup, held until released. */
  take: 'snapshot.take',
  /** Checkpointer → node: `{ id, offset, length }` → `{ data, eof }`: one chunk of a taken snapshot. */
  read: 'snapshot.read',
  /** Checkpointer → node: `{ id }` → `{}`: the node deletes its copy. */
  release: 'snapshot.release',
  /** Checkpointer → node: `{ shard, olderThanMs, trimLogUpTo }` → `CompactionResult`. */
  compact: 'shard.compact',
  /** Predecessor → successor: `{ shard, term, minSeq }` → `{ lastSeq }`: replace the replica with a snapshot. */
  reseed: 'shard.reseed',
} as const;

export interface SnapshotTaken {
  id: string;
  shard: number;
  seq: number;
  term: number;
  bytes: number;
}

export interface SnapshotChunk {
  data: Uint8Array;
  eof: boolean;
}

export interface CompactionResult {
  tombstonesDropped: number;
  logEntriesDropped: number;
}

/** Largest chunk a `snapshot.read` answers with (well under the link's frame limit). */
export const SnapshotChunkBytes = 1024 * 1024;
