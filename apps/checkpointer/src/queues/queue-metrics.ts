import type { Queue } from 'bullmq';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const states = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed', 'paused'] as const;

/**
 * Queue metrics on `/metrics`: jobs per queue and state (read from Redis on scrape, so every
 * checkpointer reports the whole queue), and what this process ran: jobs by outcome, durations,
 * bytes written.
 */
export class QueueMetrics {
  readonly #jobs: Counter<'queue' | 'job' | 'outcome'>;
  readonly #seconds: Histogram<'queue' | 'job'>;
  readonly #bytes: Counter<'queue' | 'job'>;

  constructor(registry: Registry, queues: Queue[]) {
    new Gauge({
      name: 'star_checkpoint_queue_jobs',
      help: 'Jobs in each checkpoint queue by state',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const queue of queues) {
          const counts = await queue.getJobCounts(...states).catch(() => undefined);
          if (counts === undefined) continue;
          for (const state of states) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }
      },
    });
    this.#jobs = new Counter({
      name: 'star_checkpoint_jobs_total',
      help: 'Checkpoint jobs this worker ran, by outcome (completed, failed)',
      labelNames: ['queue', 'job', 'outcome'] as const,
      registers: [registry],
    });
    this.#seconds = new Histogram({
      name: 'star_checkpoint_job_seconds',
      help: 'Duration of checkpoint jobs this worker ran',
      labelNames: ['queue', 'job'] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
      registers: [registry],
    });
    this.#bytes = new Counter({
      name: 'star_checkpoint_bytes_written_total',
      help: 'Bytes of images and snapshots this worker wrote',
      labelNames: ['queue', 'job'] as const,
      registers: [registry],
    });
  }

  observe(queue: string, job: string, outcome: 'completed' | 'failed', seconds: number, bytes: number): void {
    this.#jobs.inc({ queue, job, outcome });
    this.#seconds.observe({ queue, job }, seconds);
    if (bytes > 0) this.#bytes.inc({ queue, job }, bytes);
  }
}
