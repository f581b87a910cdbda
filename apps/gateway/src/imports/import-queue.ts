import {
  type ImportCheckpoint,
  type ImportJobData,
  type ImportRequest,
  ImportRequest as ImportRequestSchema,
} from '@star/connectors';
import { QueueKeyPrefix, StarError } from '@star/protocol';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** The BullMQ queue of catalog imports; every gateway both enqueues and works it. */
export const ImportQueueName = 'star-imports';
export const ImportQueuePrefix = QueueKeyPrefix;

/** One import is one job: a repeated request with the same id is the same job. */
export function importJobId(catalog: string, id: string): string {
  return `import.${catalog}.${id}`;
}

export interface ImportStatus {
  id: string;
  catalog: string;
  namespace: string;
  state: string;
  attempts: number;
  progress: (ImportCheckpoint & { percent?: number }) | null;
  failedReason?: string;
}

export { ImportRequestSchema };

/** Enqueues imports and reports on them. */
export class ImportQueue {
  readonly queue: Queue<ImportJobData>;

  constructor(connection: Redis) {
    this.queue = new Queue<ImportJobData>(ImportQueueName, { connection, prefix: ImportQueuePrefix });
  }

  async enqueue(catalog: string, request: ImportRequest): Promise<ImportStatus> {
    const jobId = importJobId(catalog, request.id);
    await this.queue.add(
      'import',
      { catalog, request },
      {
        jobId,
        attempts: 5,
        backoff: { type: 'exponential', delay: 1_000 },
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
    return this.status(catalog, request.id);
  }

  async status(catalog: string, id: string): Promise<ImportStatus> {
    const job = await this.queue.getJob(importJobId(catalog, id));
    if (job === undefined) throw new StarError('NotFound', `catalog ${catalog} has no import ${id}`);
    const progress = typeof job.progress === 'object' ? (job.progress as ImportStatus['progress']) : null;
    return {
      id,
      catalog,
      namespace: job.data.request.namespace,
      state: await job.getState(),
      attempts: job.attemptsMade,
      progress: progress ?? job.data.checkpoint ?? null,
      ...(job.failedReason ? { failedReason: job.failedReason } : {}),
    };
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
