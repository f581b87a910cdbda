import { type Static, Type } from '@sinclair/typebox';
import { ImageStoreSettings } from '@star/protocol';

/** The manager's own settings, read from `STAR_*` like every service setting. */
export const ManagerSettings = Type.Object({
  /** Identity in leader election; defaults to the instance id. */
  managerId: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._:-]+$' })),
  /** URL other managers and clients are redirected to; defaults to the bound address. */
  advertiseUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** The manager leader's lease; a leader that cannot renew it stops acting before it can pass on. */
  managerLeaseMs: Type.Integer({ minimum: 300, default: 3_000 }),
  /** The nodes' read lease (STAR_LEASE_MS of the nodes): a new leader waits it out before reconfiguring. */
  nodeLeaseMs: Type.Integer({ minimum: 100, default: 3_000 }),
  /** Wait beyond a node lease with no renewal seen (on the leader's clock) before the node counts as dead. */
  deadMarginMs: Type.Integer({ minimum: 0, default: 500 }),
  /**
   * How long the leader's change may wait for the journal (append, then its own tail applying it)
   * before it fails with a retryable error; also bounds the catch-up a new leader does first.
   */
  commitTimeoutMs: Type.Integer({ minimum: 100, default: 5_000 }),
  /** Period of the membership and failure checks; when unset, the runtime setting `membershipCheckMs`. */
  checkEveryMs: Type.Optional(Type.Integer({ minimum: 20 })),
  /** Where manager images and shard snapshots are stored (a directory shared with checkpointers and nodes). */
  ...ImageStoreSettings.properties,
  /** A manager image is made once this many journal entries follow the newest one... */
  imageEveryEntries: Type.Integer({ minimum: 1, default: 10_000 }),
  /** ...or once the newest image is this old (and an entry follows it). */
  imageEveryMs: Type.Integer({ minimum: 1_000, default: 600_000 }),
  /** How often the image scheduler checks those two conditions. */
  imageCheckEveryMs: Type.Integer({ minimum: 100, default: 5_000 }),
  /** How often the snapshot scheduler looks for shards to snapshot. */
  snapshotCheckEveryMs: Type.Integer({ minimum: 100, default: 60_000 }),
  /** A shard is snapshotted again once its commit point moved this many entries. */
  snapshotEveryEntries: Type.Integer({ minimum: 1, default: 100_000 }),
  /** Default retention window of compaction jobs asked for through the API. */
  compactionRetentionMs: Type.Integer({ minimum: 0, default: 86_400_000 }),
});
export type ManagerSettings = Static<typeof ManagerSettings>;
