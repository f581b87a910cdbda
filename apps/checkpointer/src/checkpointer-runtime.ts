import { ImageStore, type ServiceContext, ShardSnapshots } from '@star/core';
import { Journal, ManagerImages, type MetadataEntry } from '@star/manager/images';
import { CheckpointQueuePrefix, CheckpointQueues, type ServiceConfig } from '@star/protocol';
import { Queue } from 'bullmq';
import type { CheckpointerSettings } from './checkpointer-settings.js';
import { ImageCheckJob } from './jobs/image-check-job.js';
import { ManagerImageJob } from './jobs/manager-image-job.js';
import { ShardChains } from './jobs/shard-chains.js';
import { ShardCompactionJob } from './jobs/shard-compaction-job.js';
import { ShardSnapshotJob } from './jobs/shard-snapshot-job.js';
import { SnapshotCheckJob } from './jobs/snapshot-check-job.js';
import { CheckpointWorkers } from './queues/checkpoint-workers.js';
import { QueueMetrics } from './queues/queue-metrics.js';
import { WriteThrottle } from './write-throttle.js';

/**
 * Wires a checkpointer: the image store, the journal it images, links to nodes, the job handlers
 * of each queue and this process's workers, and the queue metrics. Start as many as you like.
 */
export async function wireCheckpointer({
  service,
  config,
  redis,
}: ServiceContext<ServiceConfig & CheckpointerSettings>): Promise<void> {
  const worker = service.instanceId;
  const logger = service.logger;
  const connection = redis.duplicate({ maxRetriesPerRequest: null });
  connection.on('error', (error) => logger.debug({ err: error }, 'checkpoint queue connection error'));
  const queueOptions = { connection, prefix: CheckpointQueuePrefix };
  const imageQueue = new Queue(CheckpointQueues.managerImages, queueOptions);
  const snapshotQueue = new Queue(CheckpointQueues.shardSnapshots, queueOptions);
  const compactionQueue = new Queue(CheckpointQueues.shardCompaction, queueOptions);

  const imageStore = new ImageStore(config.imageDir);
  const images = new ManagerImages(imageStore, logger);
  const snapshots = new ShardSnapshots(imageStore);
  const journal = new Journal<MetadataEntry>({ redis, logger });
  const chains = new ShardChains({ redis, secret: config.clusterSecret, logger });
  const throttle = () => new WriteThrottle(config.writeBytesPerSec);

  const metrics = new QueueMetrics(service.metrics, [imageQueue, snapshotQueue, compactionQueue]);
  const workers = new CheckpointWorkers({
    connection,
    metrics,
    logger,
    worker,
    concurrency: config.concurrency,
    lockDurationMs: config.lockDurationMs,
    queues: new Map([
      [
        CheckpointQueues.managerImages,
        [
          new ImageCheckJob({ redis, images, queue: imageQueue }),
          new ManagerImageJob({ journal, images, keep: config.imagesKept, throttle }),
        ],
      ],
      [
        CheckpointQueues.shardSnapshots,
        [
          new SnapshotCheckJob({ chains, snapshots, queue: snapshotQueue }),
          new ShardSnapshotJob({ chains, snapshots, keep: config.snapshotsKept, throttle }),
        ],
      ],
      [CheckpointQueues.shardCompaction, [new ShardCompactionJob({ chains, snapshots })]],
    ]),
  });
  workers.start();
  service.addHealthCheck('image-store', () => ({ imageDir: config.imageDir }));
  logger.info({ imageDir: config.imageDir, concurrency: config.concurrency }, 'checkpoint workers started');
  service.onShutdown('queues', async () => {
    await Promise.allSettled([imageQueue.close(), snapshotQueue.close(), compactionQueue.close()]);
    connection.disconnect();
  });
  service.onShutdown('links', () => chains.close());
  service.onShutdown('workers', () => workers.close());
}
