import { type ShardSnapshots, shardSnapshotName } from '@star/core';
import {
  CheckpointFormats,
  type CheckpointJobResult,
  CheckpointJobs,
  type ShardSnapshotJob as JobData,
  type ShardSnapshotManifest,
  type SnapshotChunk,
  SnapshotChunkBytes,
  SnapshotMethods,
  type SnapshotTaken,
} from '@star/protocol';
import { type Job, UnrecoverableError } from 'bullmq';
import type { WriteThrottle } from '../write-throttle.js';
import type { CheckpointJobHandler, JobContext } from './job-context.js';
import type { ShardChains } from './shard-chains.js';

/**
 * Snapshots one shard (DESIGN §5): asks a replica — the tail first, whose state is all committed —
 * for an online backup of its shard database at a known seq, copies it chunk by chunk into the
 * image store (temp, fsync, rename, manifest with seq, term and SHA-256), and keeps the newest K.
 */
export class ShardSnapshotJob implements CheckpointJobHandler {
  readonly name = CheckpointJobs.shardSnapshot;
  readonly #chains: ShardChains;
  readonly #snapshots: ShardSnapshots;
  readonly #keep: number;
  readonly #throttle: () => WriteThrottle;

  constructor(params: {
    chains: ShardChains;
    snapshots: ShardSnapshots;
    keep: number;
    throttle: () => WriteThrottle;
  }) {
    this.#chains = params.chains;
    this.#snapshots = params.snapshots;
    this.#keep = params.keep;
    this.#throttle = params.throttle;
  }

  async run(job: Job<JobData>, context: JobContext): Promise<CheckpointJobResult> {
    const { shard, minSeq } = job.data ?? {};
    if (!Number.isSafeInteger(shard) || shard < 0 || !Number.isSafeInteger(minSeq) || minSeq < 0) {
      throw new UnrecoverableError(`job data needs a shard id and minSeq (got ${JSON.stringify(job.data)})`);
    }
    const existing = await this.#snapshots.newestValid(shard, minSeq);
    if (existing !== undefined) {
      return { worker: context.worker, snapshot: existing.name, seq: existing.seq, alreadyCovered: true };
    }
    const config = await this.#chains.configOf(shard);
    if (config === undefined)
      throw new UnrecoverableError(`shard ${shard} has no chain: nothing to snapshot`);
    // The tail first; any member's committed state is consistent, so the others are fallbacks.
    const members = [...config.chain].reverse();
    let lastError: unknown;
    for (const member of members) {
      try {
        const manifest = await this.#copyFrom(member, shard, minSeq, context);
        const removed = await this.#snapshots.retain(shard, this.#keep);
        context.logger.info(
          { snapshot: manifest.name, shard, node: member.id, bytes: manifest.bytes },
          'shard snapshot written',
        );
        return {
          worker: context.worker,
          snapshot: manifest.name,
          shard,
          seq: manifest.seq,
          node: member.id,
          bytes: manifest.bytes,
          sha256: manifest.sha256,
          removed,
        };
      } catch (error) {
        lastError = error;
        context.logger.warn(
          { err: error, shard, node: member.id },
          'snapshot from this replica failed; trying another',
        );
      }
    }
    throw lastError instanceof Error ? lastError : new Error(`no replica of shard ${shard} gave a snapshot`);
  }

  async #copyFrom(
    member: { id: string; address: string },
    shard: number,
    minSeq: number,
    context: JobContext,
  ): Promise<ShardSnapshotManifest> {
    const taken = await this.#chains.request<SnapshotTaken>(member.address, SnapshotMethods.take, { shard });
    try {
      if (taken.seq < minSeq) {
        throw new Error(`replica ${member.id} is at seq ${taken.seq}, below the asked ${minSeq}`);
      }
      const area = this.#snapshots.area(shard);
      const writer = await area.begin(shardSnapshotName(taken.seq));
      try {
        const throttle = this.#throttle();
        const chunkBytes = throttle.chunkBytes(SnapshotChunkBytes);
        for (;;) {
          await throttle.pace(writer.bytes);
          const chunk = await this.#chains.request<SnapshotChunk>(member.address, SnapshotMethods.read, {
            id: taken.id,
            offset: writer.bytes,
            length: chunkBytes,
          });
          await writer.write(chunk.data);
          await context.progress({
            percent: taken.bytes === 0 ? 100 : Math.min(100, Math.floor((writer.bytes / taken.bytes) * 100)),
            bytes: writer.bytes,
          });
          if (chunk.eof) break;
        }
        if (writer.bytes !== taken.bytes) {
          throw new Error(`copied ${writer.bytes} bytes of a ${taken.bytes}-byte snapshot`);
        }
        return await area.publish<ShardSnapshotManifest>(writer, {
          kind: 'shard-snapshot',
          formatVersion: CheckpointFormats.shardSnapshot,
          shard,
          seq: taken.seq,
          term: taken.term,
          node: member.id,
        });
      } catch (error) {
        await writer.abort();
        throw error;
      }
    } finally {
      await this.#chains
        .request(member.address, SnapshotMethods.release, { id: taken.id }, 5_000)
        .catch(() => undefined);
    }
  }
}
