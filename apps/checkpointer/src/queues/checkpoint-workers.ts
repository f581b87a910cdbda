import { type CheckpointJobResult, CheckpointQueuePrefix } from '@star/protocol';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CheckpointJobHandler } from '../jobs/job-context.js';
import type { QueueMetrics } from './queue-metrics.js';

export interface WorkerOptions {
  worker: string;
  concurrency: number;
  lockDurationMs: number;
}

/**
 * This process's share of the pool: one BullMQ worker per queue, handing each job to the handler
 * of its name. Any number of checkpointer processes run these side by side; BullMQ gives each job
 * to one of them, and a job whose worker died (its lock lapsed) to another.
 */
export class CheckpointWorkers {
  readonly #workers: Worker[] = [];
  readonly #logger: Logger;

  constructor(
    params: {
      connection: Redis;
      queues: Map<string, CheckpointJobHandler[]>;
      metrics: QueueMetrics;
      logger: Logger;
    } & WorkerOptions,
  ) {
    this.#logger = params.logger.child({ component: 'checkpoint-workers' });
    for (const [queue, handlers] of params.queues) {
      const byName = new Map(handlers.map((handler) => [handler.name, handler]));
      const processor = async (job: Job): Promise<CheckpointJobResult> => {
        const handler = byName.get(job.name);
        if (handler === undefined) throw new UnrecoverableError(`no handler for job ${job.name} in ${queue}`);
        const started = performance.now();
        const logger = this.#logger.child({
          queue,
          job: job.id,
          name: job.name,
          attempt: job.attemptsMade + 1,
        });
        logger.info('checkpoint job started');
        try {
          const result = await handler.run(job, {
            worker: params.worker,
            logger,
            progress: (progress) => job.updateProgress({ ...progress }),
          });
          const bytes = typeof result.bytes === 'number' ? result.bytes : 0;
          params.metrics.observe(queue, job.name, 'completed', (performance.now() - started) / 1000, bytes);
          return result;
        } catch (error) {
          params.metrics.observe(queue, job.name, 'failed', (performance.now() - started) / 1000, 0);
          logger.warn(
            { err: error, unrecoverable: error instanceof UnrecoverableError },
            'checkpoint job failed',
          );
          throw error;
        }
      };
      const worker = new Worker(queue, processor, {
        connection: params.connection,
        prefix: CheckpointQueuePrefix,
        concurrency: params.concurrency,
        lockDuration: params.lockDurationMs,
        stalledInterval: params.lockDurationMs,
        // A job whose worker died is retried elsewhere; one that stalls again is failed, not looped.
        maxStalledCount: 2,
        autorun: false,
      });
      worker.on('error', (error) => this.#logger.warn({ err: error, queue }, 'checkpoint worker error'));
      worker.on('stalled', (id) =>
        this.#logger.warn({ queue, job: id }, 'job stalled: its worker died; retrying'),
      );
      this.#workers.push(worker);
    }
  }

  start(): void {
    for (const worker of this.#workers) {
      worker.run().catch((error: unknown) => this.#logger.error({ err: error }, 'checkpoint worker stopped'));
    }
  }

  /** Finishes running jobs, takes no new ones. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#workers.map((worker) => worker.close()));
  }
}
