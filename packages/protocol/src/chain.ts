import { type Static, Type } from '@sinclair/typebox';

/**
 * Chain replication messages (DESIGN §3). Every chain message names its shard and carries the
 * sender's shard term; a receiver drops older terms and fetches the configuration on newer ones.
 */

export const ChainLimits = {
  /** Keys are compared and stored as UTF-8; longer keys are refused with BadRequest. */
  maxKeyBytes: 1024,
  /** Default largest value; `STAR_MAX_VALUE_BYTES` changes it per node. */
  defaultMaxValueBytes: 4 * 1024 * 1024,
} as const;

export type WriteOp = 'put' | 'delete';

/** One entry of a shard's replicated log; identical on every replica that holds it. */
export interface LogEntry {
  /** Shard sequence number: assigned by the head, dense, starting at 1. It is the written version. */
  seq: number;
  /** Term of the head that assigned `seq`; with `seq` it identifies the entry across reconfigurations. */
  term: number;
  op: WriteOp;
  key: string;
  /** Value bytes for `put`; absent for `delete`. */
  value?: Uint8Array;
  contentType?: string;
  /** Record metadata after this write, computed once by the head so every replica applies the same. */
  createdAt: number;
  modifiedAt: number;
  modifications: number;
  /** Who asked, so a retried write is applied once (also after a head change). */
  clientId?: string;
  requestId?: number;
}

/** A record as stored: the newest committed version of a key. */
export interface StoredRecord {
  key: string;
  value: Uint8Array;
  contentType?: string;
  version: number;
  createdAt: number;
  modifiedAt: number;
  modifications: number;
}

/** Metadata a successful write answers with. */
export interface WriteResult {
  version: number;
  createdAt: number;
  modifiedAt: number;
  modifications: number;
}

const ShardId = Type.Integer({ minimum: 0 });
const Key = Type.String({ minLength: 1 });
const ClientId = Type.String({ minLength: 1, maxLength: 128 });
const RequestId = Type.Integer({ minimum: 0 });

/** One member of a chain: a node id and the `host:port` its links dial. */
export const ChainMember = Type.Object({
  id: Type.String({ minLength: 1 }),
  address: Type.String({ minLength: 1 }),
  /**
   * The node's incarnation this configuration was made for (DESIGN §3.14). A node acts only on a
   * configuration naming its own incarnation: one naming an earlier one predates its restart.
   */
  incarnation: Type.Optional(Type.String({ minLength: 1 })),
});
export type ChainMember = Static<typeof ChainMember>;

/** A shard's chain configuration at a term; `chain[0]` is the head, the last member the tail. */
export const ChainConfig = Type.Object({
  shard: ShardId,
  term: Type.Integer({ minimum: 1 }),
  chain: Type.Array(ChainMember, { minItems: 1 }),
  /**
   * The fencing token of the manager leader that published it (absent in configurations stored
   * before tokens existed: counts as 0). A node refuses a configuration older than one it holds.
   */
  token: Type.Optional(Type.Integer({ minimum: 0 })),
  /**
   * Milliseconds the tail waits, from applying this configuration, before committing anything at
   * its term: set when a node left the chain holding a read lease and could not be told, so its
   * lease certainly lapsed (or its renewal read this configuration) before the new chain commits
   * a write it would not see.
   */
  holdMs: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type ChainConfig = Static<typeof ChainConfig>;

/** Methods on node links (requests unless marked notify). */
export const ChainMethods = {
  /** Client → head: `PutRequest` → `WriteResult`. */
  put: 'kv.put',
  /** Client → head: `DeleteRequest` → `WriteResult` (of the tombstone). */
  delete: 'kv.delete',
  /** Client → any replica: `GetRequest` → `GetResponse`. */
  get: 'kv.get',
  /** Controller → node: `ChainConfig` → `{ term }`. */
  configure: 'node.configure',
  /** Controller/tools → node: `{}` → `NodeStatus`. */
  status: 'node.status',
  /** Predecessor → successor: `HandshakeRequest` → `HandshakeResponse`. */
  handshake: 'chain.handshake',
  /** Predecessor → successor: `AppendRequest` → `{ lastSeq }` once durable. */
  append: 'chain.append',
  /** Predecessor → successor: `TruncateRequest` → `{ lastSeq }`. */
  truncate: 'chain.truncate',
  /** Successor → predecessor (notify): `AckNotice`. */
  ack: 'chain.ack',
  /** Any replica → tail: `{ shard, term }` → `{ commitSeq }` (version query). */
  commitSeq: 'chain.commitSeq',
  /** Client → tail: `ScanRequest` → `ScanResponse` (committed records in key order). */
  scan: 'kv.scan',
  /** Client → any node: `BatchRequest` → `BatchResult[]` (each op as if sent alone). */
  batch: 'kv.batch',
  /** Client → any replica: `WatchRequest` → `{ upToSeq }`; then `watchEvents` notifications. */
  watch: 'kv.watch',
  /** Client → node: `UnwatchRequest` → `{}`. */
  unwatch: 'kv.unwatch',
  /** Node → client (notify): `WatchEventsNotice`. */
  watchEvents: 'kv.watchEvents',
  /** Node → client (notify): `WatchEndedNotice`. */
  watchEnded: 'kv.watchEnded',
} as const;

export interface ShardAddressed {
  shard: number;
}

export const PutRequest = Type.Object({
  shard: ShardId,
  key: Key,
  value: Type.Uint8Array(),
  contentType: Type.Optional(Type.String({ maxLength: 256 })),
  /** Succeed only if the key's current version is this one. */
  expectedVersion: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Succeed only if the key does not exist (create-only). */
  mustNotExist: Type.Optional(Type.Boolean()),
  clientId: Type.Optional(ClientId),
  requestId: Type.Optional(RequestId),
});
export type PutRequest = Static<typeof PutRequest>;

export const DeleteRequest = Type.Object({
  shard: ShardId,
  key: Key,
  expectedVersion: Type.Optional(Type.Integer({ minimum: 0 })),
  clientId: Type.Optional(ClientId),
  requestId: Type.Optional(RequestId),
});
export type DeleteRequest = Static<typeof DeleteRequest>;

export const GetRequest = Type.Object({ shard: ShardId, key: Key });
export type GetRequest = Static<typeof GetRequest>;

/** Body of the chain-internal requests that only name a shard and a term. */
export const ShardTerm = Type.Object({ shard: ShardId, term: Type.Integer({ minimum: 0 }) });
export type ShardTerm = Static<typeof ShardTerm>;

export type GetResponse = { found: false } | ({ found: true } & StoredRecord);

export interface HandshakeRequest extends ShardAddressed {
  term: number;
  from: string;
}

export interface HandshakeResponse {
  lastSeq: number;
  /** Term of the entry at `lastSeq` (0 when the log is empty), for the log-matching check. */
  lastTerm: number;
  commitSeq: number;
}

export interface AppendRequest extends ShardAddressed {
  term: number;
  entries: LogEntry[];
  /** The sender's commit point, so a successor learns of commits even without new acks. */
  commitSeq: number;
}

export interface TruncateRequest extends ShardAddressed {
  term: number;
  /** Drop every entry after this seq (an uncommitted suffix that diverged from the chain). */
  afterSeq: number;
}

export interface AckNotice extends ShardAddressed {
  term: number;
  commitSeq: number;
}

export type ShardRole = 'head' | 'middle' | 'tail' | 'single' | 'none';

export interface ShardReplicaStatus {
  shard: number;
  term: number;
  role: ShardRole;
  chain: string[];
  lastSeq: number;
  commitSeq: number;
  dirtyKeys: number;
}

export interface NodeStatus {
  node: string;
  leaseValidForMs: number;
  shards: ShardReplicaStatus[];
}

/** What a node announces about itself when it starts (the registry's value; see control-plane.ts). */
export const NodeRegistration = Type.Object({
  id: Type.String({ minLength: 1 }),
  /** `host:port` clients and peers dial for links. */
  address: Type.String({ minLength: 1 }),
  group: Type.String({ minLength: 1 }),
  capacity: Type.Integer({ minimum: 1 }),
  startedAt: Type.Integer({ minimum: 0 }),
  /**
   * A fresh id of every start of the node process (DESIGN §3.14). A new one proves the previous
   * process gone: the manager re-enters the node into its chains with a term bump, at once.
   */
  incarnation: Type.String({ minLength: 1 }),
});
export type NodeRegistration = Static<typeof NodeRegistration>;

/**
 * The value of a node's lease key (DESIGN §3.8): which incarnation renewed it and how many times.
 * The manager counts a node alive while it sees the record change, on its own clock; the key's
 * TTL alone (a key can vanish early) never makes a node dead sooner.
 */
export const NodeLeaseRecord = Type.Object({
  incarnation: Type.String({ minLength: 1 }),
  /** Renewals so far by this incarnation: grows by one with every renewal. */
  renewal: Type.Integer({ minimum: 1 }),
});
export type NodeLeaseRecord = Static<typeof NodeLeaseRecord>;
