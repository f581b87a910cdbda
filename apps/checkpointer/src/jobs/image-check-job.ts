import { type ManagerImages, ManagerKeys } from '@star/manager/images';
import {
  CheckpointJobIds,
  type CheckpointJobResult,
  CheckpointJobs,
  checkpointJobOptions,
  type ImageCheckJob as JobData,
  type ManagerImageJob,
} from '@star/protocol';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CheckpointJobHandler, JobContext } from './job-context.js';

/**
 * The image scheduler's tick: enqueues `image.<last journal id>` once the journal holds N entries
 * after the newest image, or the newest image (or, with none, the oldest entry) is T old. The
 * job id is the image it will write, so ticks on several checkpointers enqueue it once.
 */
export class ImageCheckJob implements CheckpointJobHandler {
  readonly name = CheckpointJobs.imageCheck;
  readonly #redis: Redis;
  readonly #images: ManagerImages;
  readonly #queue: Queue;

  constructor(params: { redis: Redis; images: ManagerImages; queue: Queue }) {
    this.#redis = params.redis;
    this.#images = params.images;
    this.#queue = params.queue;
  }

  async run(job: Job<JobData>, context: JobContext): Promise<CheckpointJobResult> {
    const { maxEntries, maxAgeMs } = job.data;
    const stream = await this.#streamInfo();
    if (stream === undefined) return { worker: context.worker, enqueued: null, reason: 'empty journal' };
    const newest = (await this.#images.list())[0];
    const pending = stream.entriesAdded - (newest?.entries ?? 0);
    const since = newest?.createdAt ?? stream.firstEntryMs;
    const due =
      pending >= maxEntries ? 'entries' : pending > 0 && Date.now() - since >= maxAgeMs ? 'age' : null;
    if (due === null || newest?.journalId === stream.lastId) {
      return { worker: context.worker, enqueued: null, pending };
    }
    const data: ManagerImageJob = { journalId: stream.lastId };
    const image = await this.#queue.add(CheckpointJobs.managerImage, data, {
      ...checkpointJobOptions,
      jobId: CheckpointJobIds.managerImage(stream.lastId),
    });
    context.logger.info({ job: image.id, pending, due }, 'manager image due');
    return { worker: context.worker, enqueued: image.id ?? null, pending, due };
  }

  /** `XINFO STREAM`: entries ever added (Redis 7), the last id and the oldest entry's time. */
  async #streamInfo(): Promise<{ entriesAdded: number; lastId: string; firstEntryMs: number } | undefined> {
    const reply = (await this.#redis.xinfo('STREAM', ManagerKeys.journal).catch(() => undefined)) as
      | unknown[]
      | undefined;
    if (reply === undefined) return undefined;
    const info = new Map<string, unknown>();
    for (let i = 0; i + 1 < reply.length; i += 2) info.set(String(reply[i]), reply[i + 1]);
    const lastId = String(info.get('last-generated-id') ?? '0-0');
    const entriesAdded = Number(info.get('entries-added'));
    if (!Number.isFinite(entriesAdded) || entriesAdded === 0 || lastId === '0-0') return undefined;
    const first = info.get('first-entry') as [string, string[]] | null;
    const firstEntryMs = first ? Number(first[0].split('-')[0]) : Date.now();
    return { entriesAdded, lastId, firstEntryMs };
  }
}
