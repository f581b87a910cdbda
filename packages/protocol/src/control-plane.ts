import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ScopeSchema } from './auth.js';
import { ChainConfig, NodeLeaseRecord, NodeRegistration } from './chain.js';
import { StarError } from './errors.js';

/**
 * The control plane in one place: every Redis key and channel a Star service reads or writes,
 * and the codec of every structured value kept there. A value that does not decode is a typed
 * `MalformedControlPlane` error naming the key, for the caller to log — never a crash, never a
 * silent default.
 */

/** Keys of the chain's control plane, shared by nodes and whoever configures chains. */
export const ChainKeys = {
  /** JSON `ChainConfig` of a shard: the source of truth a node fetches on a newer term. */
  shardConfig: (shard: number) => `star:shard:${shard}:config`,
  /**
   * A node's read lease: JSON `NodeLeaseRecord`, `SET ... PX` on every renewal. The manager counts
   * a node dead only after it saw the record unchanged (or missing) for a lease plus a margin.
   */
  nodeLease: (node: string) => `star:node:${node}:lease`,
  /** Hash of node id → JSON `NodeRegistration`: nodes announce themselves here; the manager journals them. */
  nodeRegistry: 'star:nodes',
  /**
   * JSON `AppliedReport` of a node: the term of every replica it holds, rewritten on each lease
   * renewal with a PX of a few leases (so a dead node's report vanishes). The leader's reconciler
   * compares it with the journal and re-tells a member that lags.
   */
  nodeApplied: (node: string) => `star:node:${node}:applied`,
} as const;

/**
 * Keys of the manager's control plane (DESIGN §4). The journal's append script and the leader
 * election's scripts both read the leader record, so they must agree on these.
 */
export const ManagerKeys = {
  /** Stream of metadata entries: field `e` = the entry as JSON, field `t` = the writer's fencing token. */
  journal: 'star:manager:journal',
  /** Fencing token counter: every election win takes the next value with INCR, so tokens only grow. */
  fence: 'star:manager:fence',
  /** The current leader: JSON `{ id, address, token }` with a PX lease. */
  leader: 'star:manager:leader',
  /**
   * Stream id up to which the journal was trimmed (entries at or before it are gone; absent: never
   * trimmed). Only an image covering at least this id can rebuild the state.
   */
  trimmedTo: 'star:manager:journal:trimmed',
  /**
   * A counter the leader increments and then `WAIT`s on before acting after a write whose replica
   * acks failed: once it is replicated, so is everything the primary took before it.
   */
  replicationBarrier: 'star:manager:replication-barrier',
} as const;

/** Cluster-wide runtime settings: a hash of JSON fields plus a version, and a change channel. */
export const RuntimeSettingsKeys = {
  hash: 'star:config',
  /** Bumped on every change; services report the version they run with. */
  versionField: '_version',
  channel: 'star:config:changed',
} as const;

/** Redis names of the API key store. */
export const ApiKeyKeys = {
  /** Hash: key id -> JSON of the key's info plus the SHA-256 of its secret. */
  hash: 'star:apikeys',
} as const;

/** Where catalogs live in the control plane; every gateway reads them there. */
export const CatalogKeys = {
  /** Hash: catalog name to its stored record (JSON, secrets sealed). */
  hash: 'star:catalogs',
  /** Pub/sub: a catalog's name whenever it is created or deleted, so gateways drop their connections. */
  channel: 'star:catalogs:changed',
} as const;

/** Prefix of every BullMQ queue's keys (checkpoints, imports). */
export const QueueKeyPrefix = 'star:bull';

/** What a node reports it runs: `(shard, term)` of every replica it holds. */
export const AppliedReport = Type.Object({
  node: Type.String({ minLength: 1 }),
  /** Wall-clock ms when written (for operators; the manager does not compare clocks). */
  at: Type.Integer({ minimum: 0 }),
  shards: Type.Array(
    Type.Object({ shard: Type.Integer({ minimum: 0 }), term: Type.Integer({ minimum: 0 }) }),
  ),
});
export type AppliedReport = Static<typeof AppliedReport>;

/** Encodes a control-plane value for Redis and decodes it back, checking its shape. */
export interface ValueCodec<T> {
  encode(value: T): string;
  /** Throws `MalformedControlPlane` naming `where` (the key) when `raw` is not a valid value. */
  decode(raw: string, where: string): T;
}

/** A JSON codec checked against a TypeBox schema (compiled once). */
export function jsonCodec<S extends TSchema>(schema: S, what: string): ValueCodec<Static<S>> {
  const compiled = TypeCompiler.Compile(schema);
  return {
    encode: (value) => JSON.stringify(value),
    decode(raw, where) {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        throw new StarError('MalformedControlPlane', `${where} holds no JSON ${what}`, { key: where });
      }
      if (compiled.Check(value)) return value;
      const first = compiled.Errors(value).First();
      throw new StarError(
        'MalformedControlPlane',
        `${where} holds an invalid ${what}: ${first ? `${first.path || '/'} ${first.message}` : 'bad shape'}`,
        { key: where },
      );
    },
  };
}

/** A field of `ApiKeyKeys.hash`: a key's listing plus the SHA-256 of its secret (never the secret). */
export const StoredApiKey = Type.Object({
  id: Type.String({ pattern: '^[0-9a-f]{16}$' }),
  name: Type.String(),
  scopes: Type.Array(ScopeSchema, { minItems: 1 }),
  createdAt: Type.String(),
  secretSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
});
export type StoredApiKey = Static<typeof StoredApiKey>;

/** A field of `CatalogKeys.hash`: a catalog as stored, secret properties sealed. */
export const CatalogRecord = Type.Object({
  name: Type.String({ minLength: 1 }),
  type: Type.String({ minLength: 1 }),
  /** Validated properties with defaults; secret ones sealed (`{ sealed: 'v1:...' }`). */
  properties: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String(),
  /** Changes on every create, so a gateway can tell a re-created catalog from the one it has open. */
  version: Type.String(),
});
export type CatalogRecord = Static<typeof CatalogRecord>;

/** The codecs of the structured values above. */
export const ControlPlaneCodecs = {
  /** `ChainKeys.shardConfig(shard)`. */
  shardConfig: jsonCodec(ChainConfig, 'shard configuration'),
  /** A field of `ChainKeys.nodeRegistry`. */
  nodeRegistration: jsonCodec(NodeRegistration, 'node registration'),
  /** A field of `ApiKeyKeys.hash`. */
  apiKey: jsonCodec(StoredApiKey, 'API key record'),
  /** A field of `CatalogKeys.hash`. */
  catalog: jsonCodec(CatalogRecord, 'catalog record'),
  /** `ChainKeys.nodeApplied(node)`. */
  appliedReport: jsonCodec(AppliedReport, 'applied report'),
  /** `ChainKeys.nodeLease(node)`. */
  nodeLease: jsonCodec(NodeLeaseRecord, 'node lease record'),
} as const;
