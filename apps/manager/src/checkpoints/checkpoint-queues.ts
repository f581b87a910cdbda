import {
  CheckpointJobIds,
  CheckpointJobs,
  CheckpointQueuePrefix,
  CheckpointSchedulers,
  checkpointJobOptions,
  checkpointTickOptions,
  type ImageCheckJob,
  type ManagerImageJob,
  CheckpointQueues as QueueNames,
  type ShardCompactionJob,
  type ShardSnapshotJob,
  type SnapshotCheckJob,
} from '@star/protocol';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface CheckpointSchedule {
  /** Period of the image check (the scheduler's tick). */
  checkEveryMs: number;
  /** An image once this many journal entries follow the newest one... */
  imageEveryEntries: number;
  /** ...or once the newest image is this old. */
  imageEveryMs: number;
  /** Period of the shard snapshot check. */
  snapshotCheckEveryMs: number;
  /** A shard is snapshotted again once its commit point moved this far. */
  snapshotEveryEntries: number;
}

/** A job as the API reports it. */
export interface QueuedJob {
  queue: string;
  id: string;
  state: string;
}

/**
 * The manager's side of the checkpoint queues: the leader upserts the job schedulers (same ids
 * every time, so restarts and leader changes never add a second), and the API enqueues jobs on
 * request under ids derived from what they produce.
 */
export class CheckpointQueues {
  readonly images: Queue;
  readonly snapshots: Queue;
  readonly compaction: Queue;
  readonly #connection: Redis;
  readonly #logger: Logger;

  constructor(redis: Redis, logger: Logger) {
    // Its own connection: BullMQ wants one that never gives up on a command (maxRetriesPerRequest null).
    this.#connection = redis.duplicate({ maxRetriesPerRequest: null });
    this.#connection.on('error', (error) =>
      logger.debug({ err: error }, 'checkpoint queue connection error'),
    );
    this.#logger = logger.child({ component: 'checkpoint-queues' });
    const options = { connection: this.#connection, prefix: CheckpointQueuePrefix };
    this.images = new Queue(QueueNames.managerImages, options);
    this.snapshots = new Queue(QueueNames.shardSnapshots, options);
    this.compaction = new Queue(QueueNames.shardCompaction, options);
  }

  get all(): Queue[] {
    return [this.images, this.snapshots, this.compaction];
  }

  /** Installs or updates the schedulers that trigger images and snapshots. */
  async upsertSchedulers(schedule: CheckpointSchedule): Promise<void> {
    const imageCheck: ImageCheckJob = {
      maxEntries: schedule.imageEveryEntries,
      maxAgeMs: schedule.imageEveryMs,
    };
    await this.images.upsertJobScheduler(
      CheckpointSchedulers.imageCheck,
      { every: schedule.checkEveryMs },
      { name: CheckpointJobs.imageCheck, data: imageCheck, opts: checkpointTickOptions },
    );
    const snapshotCheck: SnapshotCheckJob = { minNewEntries: schedule.snapshotEveryEntries };
    await this.snapshots.upsertJobScheduler(
      CheckpointSchedulers.snapshotCheck,
      { every: schedule.snapshotCheckEveryMs },
      { name: CheckpointJobs.snapshotCheck, data: snapshotCheck, opts: checkpointTickOptions },
    );
    this.#logger.info(schedule, 'checkpoint schedulers upserted');
  }

  async requestImage(journalId: string): Promise<QueuedJob> {
    const data: ManagerImageJob = { journalId };
    const job = await this.images.add(CheckpointJobs.managerImage, data, {
      ...checkpointJobOptions,
      jobId: CheckpointJobIds.managerImage(journalId),
    });
    return { queue: this.images.name, id: job.id!, state: await job.getState() };
  }

  async requestSnapshot(shard: number, minSeq: number): Promise<QueuedJob> {
    const data: ShardSnapshotJob = { shard, minSeq };
    const job = await this.snapshots.add(CheckpointJobs.shardSnapshot, data, {
      ...checkpointJobOptions,
      jobId: CheckpointJobIds.shardSnapshot(shard, minSeq),
    });
    return { queue: this.snapshots.name, id: job.id!, state: await job.getState() };
  }

  async requestCompaction(shard: number, node: string, retentionMs: number): Promise<QueuedJob> {
    const data: ShardCompactionJob = { shard, node, retentionMs };
    // One compaction per replica and retention window: asking again within the window is one job.
    const window = Math.floor(Date.now() / Math.max(1_000, retentionMs));
    const job = await this.compaction.add(CheckpointJobs.shardCompaction, data, {
      ...checkpointJobOptions,
      jobId: CheckpointJobIds.shardCompaction(shard, node, window),
    });
    return { queue: this.compaction.name, id: job.id!, state: await job.getState() };
  }

  /** A job's state, progress and outcome, by queue name and id. */
  async job(queueName: string, id: string): Promise<Record<string, unknown> | undefined> {
    const queue = this.all.find((q) => q.name === queueName);
    if (queue === undefined) return undefined;
    // State first: a job read after it is at least as new, so a completed job shows its result.
    const state = await queue.getJobState(id);
    const job = await queue.getJob(id);
    if (job === undefined) return undefined;
    return {
      queue: queue.name,
      id: job.id,
      name: job.name,
      state,
      progress: job.progress,
      attemptsMade: job.attemptsMade,
      data: job.data,
      returnvalue: job.returnvalue ?? null,
      failedReason: job.failedReason ?? null,
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.all.map((queue) => queue.close()));
    this.#connection.disconnect();
  }
}
