import type { CheckpointJobResult, CheckpointProgress } from '@star/protocol';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';

/** One kind of job: what a worker runs for jobs of that name. */
export interface CheckpointJobHandler {
  readonly name: string;
  run(job: Job, context: JobContext): Promise<CheckpointJobResult>;
}

/** What a running job gets from the pool. */
export interface JobContext {
  /** This process's instance id: every result names it. */
  worker: string;
  logger: Logger;
  /** Reports progress (BullMQ job progress: percent and bytes). */
  progress(progress: CheckpointProgress): Promise<void>;
}
