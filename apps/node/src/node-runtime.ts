import { ImageStore, LinkRouter, linkServer, type ServiceContext, ShardSnapshots } from '@star/core';
import {
  type ChainConfig,
  ChainKeys,
  ControlPlaneCodecs,
  type NodeRegistration,
  type ServiceConfig,
} from '@star/protocol';
import { advertisedAddress } from './advertised-address.js';
import { registerNodeApi } from './api/node-router.js';
import { registerSnapshotApi } from './api/snapshot-router.js';
import { AppliedReporter } from './chain/applied-reporter.js';
import { LogRetention } from './chain/log-retention.js';
import { PEER_PING_MS, PeerLinks } from './chain/peer-links.js';
import { ReplicaSet } from './chain/replica-set.js';
import { SnapshotBootstrap } from './chain/snapshot-bootstrap.js';
import { mountStatus } from './http/status-route.js';
import { nodeIncarnation } from './lease/incarnation.js';
import { ReadLease } from './lease/read-lease.js';
import { createNodeMetrics } from './metrics/node-metrics.js';
import type { NodeSettings } from './node-settings.js';
import { ShardDirectory } from './storage/shard-directory.js';
import { ShardSnapshotter } from './storage/shard-snapshot.js';
import { StorageHealth } from './storage/storage-health.js';

/**
 * Wires a chain node: shard stores in the data dir, the replicas over them, the read lease, links
 * to peer nodes, the link API, `/status` and the node's metrics. Returns nothing: the parts live as
 * long as the service and are closed by its shutdown steps.
 */
/** Announces the node in the control plane's registry, where the manager picks it up. */
export async function registerNode(
  { service, config, redis }: ServiceContext<ServiceConfig & NodeSettings>,
  address: { host: string; port: number },
): Promise<void> {
  const registration: NodeRegistration = {
    id: config.nodeId ?? service.instanceId,
    address: advertisedAddress(config.advertiseAddress, address),
    group: config.group,
    capacity: config.capacity,
    startedAt: Date.now(),
    incarnation: nodeIncarnation,
  };
  await redis.hset(
    ChainKeys.nodeRegistry,
    registration.id,
    ControlPlaneCodecs.nodeRegistration.encode(registration),
  );
  service.logger.info({ registration }, 'node registered');
}

export async function wireNode({
  service,
  config,
  redis,
  primary,
  runtime,
}: ServiceContext<ServiceConfig & NodeSettings>): Promise<void> {
  const nodeId = config.nodeId ?? service.instanceId;
  const logger = service.logger.child({ node: nodeId });
  const storage = new StorageHealth({ dataDir: config.dataDir, logger });
  const directory = new ShardDirectory(config.dataDir, {
    synchronous: config.synchronous,
    onDiskFull: (error) => storage.markFull(error),
  });
  let replicas: ReplicaSet | undefined;
  const metrics = createNodeMetrics(service.metrics, () => replicas);

  const reporter = new AppliedReporter({ redis, nodeId, ttlMs: config.leaseMs * 3, logger });
  const lease = new ReadLease({
    redis,
    nodeId,
    incarnation: nodeIncarnation,
    options: { leaseMs: config.leaseMs, renewEveryMs: config.leaseRenewMs },
    logger,
    revalidate: async () => {
      await replicas?.revalidate();
      reporter.report(replicas);
    },
    canRenew: () => !storage.full,
  });
  primary.on('changed', () => lease.lapse());
  const fetchConfig = async (shard: number): Promise<ChainConfig | undefined> => {
    const key = ChainKeys.shardConfig(shard);
    const raw = await redis.get(key);
    return raw === null ? undefined : ControlPlaneCodecs.shardConfig.decode(raw, key);
  };

  const bootstrap = new SnapshotBootstrap({
    snapshots: new ShardSnapshots(new ImageStore(config.imageDir)),
    directory,
    nodeId,
    logger,
    metrics: service.metrics,
  });
  // One router for links this node accepts and links it dials: links are symmetric.
  const router = new LinkRouter();
  const peers = new PeerLinks({ router, secret: config.clusterSecret, logger });
  replicas = new ReplicaSet({
    context: {
      nodeId,
      incarnation: nodeIncarnation,
      peers,
      logger,
      leaseValidForMs: () => lease.validForMs(),
      fetchConfig,
      metrics,
      maxValueBytes: config.maxValueBytes,
      storageFull: () => storage.full,
    },
    openStore: (shard) => directory.open(shard),
    existing: directory.list(),
    prepareNew: (config) => bootstrap.prepareNew(config),
  });
  const snapshotter = new ShardSnapshotter(config.dataDir);
  registerSnapshotApi(router, { replicas, snapshotter, bootstrap });
  const status = () => replicas.status(nodeId, lease.validForMs());
  registerNodeApi(router, replicas, status, (op, outcome, seconds) =>
    metrics.observeOp(op, outcome, seconds),
  );
  const retention = new LogRetention(replicas, {
    keepTail: config.logTailEntries,
    resultRetentionMs: () => runtime.settings.requestResultRetentionMs,
    logger,
  });

  await service.app.register(linkServer, {
    router,
    secret: config.clusterSecret,
    link: { maxFrameBytes: config.maxValueBytes + 64 * 1024, pingIntervalMs: PEER_PING_MS },
  });
  mountStatus(service.app, status);
  service.addHealthCheck('storage', () => ({ shards: replicas.size, full: storage.full }));
  service.addHealthCheck('lease', () => ({ validForMs: Math.round(lease.validForMs()) }));
  lease.start();
  retention.start();
  service.onShutdown('retention', () => retention.stop());
  service.onShutdown('replicas', () => replicas.close());
  service.onShutdown('snapshots', () => snapshotter.close());
  service.onShutdown('peers', () => peers.closeAll());
  service.onShutdown('lease', () => lease.stop());
  service.onShutdown('storage-health', () => storage.stop());
  logger.info({ dataDir: config.dataDir, shards: replicas.size }, 'node storage opened');
}
