import { type Static, Type } from '@sinclair/typebox';
import { ImageStoreSettings } from '@star/protocol';

/** The checkpointer's own settings, read from `STAR_*` like every service setting. */
export const CheckpointerSettings = Type.Object({
  /** Where manager images and shard snapshots are stored (shared with managers and nodes). */
  ...ImageStoreSettings.properties,
  /** Jobs this process runs at once, per queue. */
  concurrency: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
  /** Manager images kept; older ones are removed (and the journal is trimmed to the oldest kept). */
  imagesKept: Type.Integer({ minimum: 1, default: 3 }),
  /** Snapshots kept per shard. */
  snapshotsKept: Type.Integer({ minimum: 1, default: 3 }),
  /** Disk bandwidth a checkpoint may take, bytes per second; 0 is unlimited. */
  writeBytesPerSec: Type.Integer({ minimum: 0, default: 0 }),
  /**
   * How long a job's lock lasts without renewal: a worker that died mid-job has its job taken
   * over by another after about this long.
   */
  lockDurationMs: Type.Integer({ minimum: 500, default: 30_000 }),
});
export type CheckpointerSettings = Static<typeof CheckpointerSettings>;
