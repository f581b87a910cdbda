import type { ShardSnapshots } from '@star/core';
import {
  ChainMethods,
  CheckpointJobIds,
  type CheckpointJobResult,
  CheckpointJobs,
  checkpointJobOptions,
  type SnapshotCheckJob as JobData,
  type NodeStatus,
  type ShardSnapshotJob,
} from '@star/protocol';
import type { Job, Queue } from 'bullmq';
import type { CheckpointJobHandler, JobContext } from './job-context.js';
import type { ShardChains } from './shard-chains.js';

/**
 * The snapshot scheduler's tick: every shard whose tail committed at least M entries past its
 * newest snapshot (or that has none yet and committed something) gets a snapshot job, with the id
 * of what it will produce: that shard at at least that commit point.
 */
export class SnapshotCheckJob implements CheckpointJobHandler {
  readonly name = CheckpointJobs.snapshotCheck;
  readonly #chains: ShardChains;
  readonly #snapshots: ShardSnapshots;
  readonly #queue: Queue;

  constructor(params: { chains: ShardChains; snapshots: ShardSnapshots; queue: Queue }) {
    this.#chains = params.chains;
    this.#snapshots = params.snapshots;
    this.#queue = params.queue;
  }

  async run(job: Job<JobData>, context: JobContext): Promise<CheckpointJobResult> {
    const { minNewEntries } = job.data;
    const statuses = new Map<string, Promise<NodeStatus | undefined>>();
    const enqueued: string[] = [];
    for (const shard of await this.#chains.shards()) {
      const tail = (await this.#chains.configOf(shard))?.chain.at(-1);
      if (tail === undefined) continue;
      if (!statuses.has(tail.address)) {
        statuses.set(
          tail.address,
          this.#chains
            .request<NodeStatus>(tail.address, ChainMethods.status, {}, 5_000)
            .catch(() => undefined),
        );
      }
      const commitSeq = (await statuses.get(tail.address))?.shards.find((s) => s.shard === shard)?.commitSeq;
      if (commitSeq === undefined || commitSeq === 0) continue;
      const newestSeq = (await this.#snapshots.list(shard))[0]?.seq;
      if (newestSeq !== undefined && commitSeq - newestSeq < minNewEntries) continue;
      const data: ShardSnapshotJob = { shard, minSeq: commitSeq };
      const added = await this.#queue.add(CheckpointJobs.shardSnapshot, data, {
        ...checkpointJobOptions,
        jobId: CheckpointJobIds.shardSnapshot(shard, commitSeq),
      });
      enqueued.push(added.id!);
    }
    if (enqueued.length > 0) context.logger.info({ jobs: enqueued }, 'shard snapshots due');
    return { worker: context.worker, enqueued };
  }
}
