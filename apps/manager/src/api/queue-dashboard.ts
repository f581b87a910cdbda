import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';

/** Where the dashboard is served. */
export const dashboardPath = '/admin/queues';

/**
 * The checkpoint queues' dashboard (bull-board with its fastify adapter) at `/admin/queues`: jobs
 * by state, their progress, data, results, failure reasons and attempts.
 */
export async function queueDashboard(app: FastifyInstance, options: { queues: Queue[] }): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  createBullBoard({
    queues: options.queues.map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Star checkpoints' } },
  });
  serverAdapter.setBasePath(dashboardPath);
  await app.register(serverAdapter.registerPlugin(), { prefix: dashboardPath });
}
