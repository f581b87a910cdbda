import { type Static, Type } from '@sinclair/typebox';
import { ChainLimits, ImageStoreSettings } from '@star/protocol';

/** The node's own settings, read from `STAR_*` like every service setting. */
export const NodeSettings = Type.Object({
  /** Identity in chain configurations; defaults to the instance id. */
  nodeId: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._:-]+$' })),
  /** `host:port` peers and clients dial; defaults to the listen host and bound port. */
  advertiseAddress: Type.Optional(Type.String({ minLength: 3, pattern: '^[^\\s:]+:[0-9]+$' })),
  /** Worker group for placement (replicas of a shard spread over groups). */
  group: Type.String({ minLength: 1, default: 'default' }),
  capacity: Type.Integer({ minimum: 1, default: 1 }),
  /** Where shard databases live (one SQLite file per shard replica). */
  dataDir: Type.String({ minLength: 1, default: 'star-data' }),
  synchronous: Type.Union([Type.Literal('NORMAL'), Type.Literal('FULL')], { default: 'NORMAL' }),
  maxValueBytes: Type.Integer({ minimum: 1, default: ChainLimits.defaultMaxValueBytes }),
  leaseMs: Type.Integer({ minimum: 100, default: 3_000 }),
  leaseRenewMs: Type.Integer({ minimum: 20, default: 1_000 }),
  /** Committed log entries kept for catching up a lagging successor. */
  logTailEntries: Type.Integer({ minimum: 0, default: 1_000_000 }),
  /** The image store: shard snapshots new replicas bootstrap from (shared with checkpointers). */
  ...ImageStoreSettings.properties,
});
export type NodeSettings = Static<typeof NodeSettings>;
