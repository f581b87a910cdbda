import type { ShardSnapshots } from '@star/core';
import {
  type CheckpointJobResult,
  CheckpointJobs,
  type CompactionResult,
  type ShardCompactionJob as JobData,
  SnapshotMethods,
} from '@star/protocol';
import { type Job, UnrecoverableError } from 'bullmq';
import type { CheckpointJobHandler, JobContext } from './job-context.js';
import type { ShardChains } from './shard-chains.js';

/**
 * Compacts one replica: the node drops tombstones and log entries older than the retention window,
 * in small transactions between writes. The log is only trimmed up to the newest verified snapshot,
 * so a replica that needs those entries can always bootstrap from that snapshot instead.
 */
export class ShardCompactionJob implements CheckpointJobHandler {
  readonly name = CheckpointJobs.shardCompaction;
  readonly #chains: ShardChains;
  readonly #snapshots: ShardSnapshots;

  constructor(params: { chains: ShardChains; snapshots: ShardSnapshots }) {
    this.#chains = params.chains;
    this.#snapshots = params.snapshots;
  }

  async run(job: Job<JobData>, context: JobContext): Promise<CheckpointJobResult> {
    const { shard, node, retentionMs } = job.data ?? {};
    if (!Number.isSafeInteger(shard) || typeof node !== 'string' || !Number.isSafeInteger(retentionMs)) {
      throw new UnrecoverableError(
        `job data needs shard, node and retentionMs (got ${JSON.stringify(job.data)})`,
      );
    }
    const member = (await this.#chains.configOf(shard))?.chain.find((m) => m.id === node);
    if (member === undefined) {
      throw new UnrecoverableError(`node ${node} holds no replica of shard ${shard} in its current chain`);
    }
    const snapshot = await this.#snapshots.newestValid(shard);
    const result = await this.#chains.request<CompactionResult>(
      member.address,
      SnapshotMethods.compact,
      {
        shard,
        olderThanMs: retentionMs,
        trimLogUpTo: snapshot?.seq ?? 0,
      },
      10 * 60_000,
    );
    await context.progress({ percent: 100, bytes: 0 });
    return { worker: context.worker, shard, node, snapshotSeq: snapshot?.seq ?? 0, ...result };
  }
}
