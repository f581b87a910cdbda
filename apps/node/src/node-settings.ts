import { type Static, Type } from '@sinclair/typebox';
import { ChainLimits, ImageStoreSettings } from '@star/protocol';

/** The node's own settings, read from `STAR_*` like every service setting. */
export const NodeSettings = Type.Object({
  /** Identity in chain configurations; defaults to the instance id. */
  nodeId: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._:-]+$' })),
  /** `host:port` peers and clients dial; defaults to the listen host (the hostname when it is 0.0.0.0) and bound port. */
  advertiseAddress: Type.Optional(Type.String({ minLength: 3, pattern: '^[^\\s:]+:[0-9]+$' })),
  /** Worker group for placement (replicas of a shard spread over groups). */
  group: Type.String({ minLength: 1, default: 'default' }),
  /** Relative weight in placement: a node of capacity 2 is given about twice the replicas. */
  capacity: Type.Integer({ minimum: 1, default: 1 }),
  /** Where shard databases live (one SQLite file per shard replica). */
  dataDir: Type.String({ minLength: 1, default: 'star-data' }),
  /** SQLite `synchronous` pragma of the shard databases: FULL also survives a power cut. */
  synchronous: Type.Union([Type.Literal('NORMAL'), Type.Literal('FULL')], { default: 'NORMAL' }),
  /** Largest value a put may carry (the gateway's limit should be the same). */
  maxValueBytes: Type.Integer({ minimum: 1, default: ChainLimits.defaultMaxValueBytes }),
  /** The node's read lease in the control plane; managers must be told the same (STAR_NODE_LEASE_MS). */
  leaseMs: Type.Integer({ minimum: 100, default: 3_000 }),
  /** How often the lease is renewed; well under STAR_LEASE_MS. */
  leaseRenewMs: Type.Integer({ minimum: 20, default: 1_000 }),
  /** Committed log entries kept for catching up a lagging successor. */
  logTailEntries: Type.Integer({ minimum: 0, default: 1_000_000 }),
  /** The image store: shard snapshots new replicas bootstrap from (shared with checkpointers). */
  ...ImageStoreSettings.properties,
});
export type NodeSettings = Static<typeof NodeSettings>;
