import { ImageStore, type ServiceContext, ShardSnapshots } from '@star/core';
import type { ServiceConfig } from '@star/protocol';
import { StarError } from '@star/protocol';
import { assignmentsStream } from './api/assignments-stream.js';
import { checkpointRoutes } from './api/checkpoint-routes.js';
import { clusterRoutes } from './api/cluster-routes.js';
import { configRoutes } from './api/config-routes.js';
import { installManagerAuth } from './api/manager-auth.js';
import { metadataRoutes } from './api/metadata-routes.js';
import { openApi } from './api/openapi.js';
import { queueDashboard } from './api/queue-dashboard.js';
import { CheckpointQueues } from './checkpoints/checkpoint-queues.js';
import { ChainPublisher } from './coordination/chain-publisher.js';
import { Coordinator } from './coordination/coordinator.js';
import { LeaderCatchUp } from './coordination/leader-catch-up.js';
import { ManagerImages } from './images/manager-images.js';
import { Journal } from './journal/index.js';
import { LeaderElection } from './leadership/index.js';
import { registerManagerMetrics } from './manager-metrics.js';
import type { ManagerSettings } from './manager-settings.js';
import type { MetadataEntry } from './metadata/journal-entries.js';
import { MetadataStore } from './metadata/metadata-store.js';

type ManagerContext = ServiceContext<ServiceConfig & ManagerSettings>;

/**
 * Wires a manager: the journal and the metadata rebuilt from it, leader election, the coordinator
 * that acts while this manager leads, the REST API and the assignment stream. Election starts once
 * the server listens (its address is what followers redirect to).
 */
export async function wireManager(context: ManagerContext): Promise<void> {
  const { service, config, redis } = context;
  const managerId = config.managerId ?? service.instanceId;
  const logger = service.logger.child({ manager: managerId });
  const journal = new Journal<MetadataEntry>({ redis, logger, replicaAcks: context.replicaAcks });
  const imageStore = new ImageStore(config.imageDir);
  const images = new ManagerImages(imageStore, logger);
  const store = new MetadataStore(journal, logger, images);
  await store.start();
  const queues = new CheckpointQueues(redis, logger);

  const election = new LeaderElection({
    redis,
    managerId,
    address: config.advertiseUrl ?? 'pending',
    leaseMs: config.managerLeaseMs,
    replicaAcks: context.replicaAcks,
    logger,
  });
  const publisher = new ChainPublisher({
    redis,
    logger,
    secret: config.clusterSecret,
    leaseWaitMs: config.nodeLeaseMs + config.deadMarginMs,
    token: () => election.token,
    replicaAcks: context.replicaAcks,
  });
  const catchUp = new LeaderCatchUp({ journal, store, deadlineMs: config.commitTimeoutMs, logger });
  const coordinator = new Coordinator({
    store,
    publisher,
    redis,
    logger,
    settings: {
      nodeLeaseMs: config.nodeLeaseMs,
      deadMarginMs: config.deadMarginMs,
      checkEveryMs: () => config.checkEveryMs ?? context.runtime.settings.membershipCheckMs,
      balance: () => context.runtime.settings.balance,
    },
    commit: async (entries) => {
      const token = election.token;
      if (token === undefined) throw new StarError('MisdirectedRequest', 'this manager lost leadership');
      await catchUp.commit(
        token,
        entries.map((entry) => ({ ...entry, at: Date.now() })),
      );
    },
    ready: () => catchUp.ready(),
  });
  election.on('elected', (token) => {
    logger.info({ token }, 'elected leader');
    catchUp.reset();
    coordinator.start();
    queues
      .upsertSchedulers({
        checkEveryMs: config.imageCheckEveryMs,
        imageEveryEntries: config.imageEveryEntries,
        imageEveryMs: config.imageEveryMs,
        snapshotCheckEveryMs: config.snapshotCheckEveryMs,
        snapshotEveryEntries: config.snapshotEveryEntries,
      })
      .catch((error: unknown) => logger.error({ err: error }, 'checkpoint schedulers not upserted'));
  });
  context.primary.on('changed', () => {
    coordinator.primaryChanged();
    catchUp.reset();
    store
      .reconcileWithJournal()
      .catch((error: unknown) =>
        logger.error({ err: error }, 'metadata not reconciled with the new primary'),
      );
  });
  election.on('deposed', (reason) => {
    logger.warn({ reason }, 'no longer leader');
    coordinator.stop();
  });

  await installManagerAuth(service.app, { redis, adminKey: config.adminKey });
  await openApi(service.app);
  await service.app.register(metadataRoutes, { store, coordinator, leadership: election });
  await service.app.register(clusterRoutes, { store, leadership: election, managerId });
  await service.app.register(assignmentsStream, { store });
  await service.app.register(configRoutes, { redis, runtime: context.runtime, leadership: election });
  await service.app.register(checkpointRoutes, {
    store,
    journal,
    images,
    snapshots: new ShardSnapshots(imageStore),
    queues,
    publisher,
    leadership: election,
    compactionRetentionMs: config.compactionRetentionMs,
  });
  await service.app.register(queueDashboard, { queues: queues.all });
  registerManagerMetrics(service.metrics, {
    store,
    coordinator,
    isLeader: () => election.isLeader(),
    journalLength: () => journal.length(),
  });
  service.addHealthCheck('journal', () => ({
    applied: store.state.entriesApplied,
    leader: election.isLeader(),
  }));

  electionRef.set(context, election);
  service.onShutdown('coordinator', () => coordinator.stop());
  service.onShutdown('election', () => election.resign().catch(() => false));
  service.onShutdown('publisher', () => publisher.close());
  service.onShutdown('metadata', () => store.stop());
  service.onShutdown('checkpoint-queues', () => queues.close());
}

const electionRef = new WeakMap<ManagerContext, LeaderElection>();

/** Starts campaigning once the bound address is known. */
export function startCampaign(context: ManagerContext, address: { url: string }): void {
  const election = electionRef.get(context);
  if (election === undefined) return;
  election.address = context.config.advertiseUrl ?? address.url;
  election.start();
}
