import type { FastifyInstance } from 'fastify';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { LeadershipView } from './leader-guard.js';

/** Cluster status (shaped like the Oxia coordinator's) and who leads. */
export async function clusterRoutes(
  app: FastifyInstance,
  options: { store: MetadataStore; leadership: LeadershipView; managerId: string },
): Promise<void> {
  const { store, leadership, managerId } = options;

  app.get('/v1/leader', async () => ({
    self: managerId,
    isLeader: leadership.isLeader(),
    leader: (await leadership.currentLeader()) ?? null,
  }));

  app.get('/v1/cluster/status', async () => {
    const state = store.state;
    const namespaces = Object.fromEntries(
      [...state.namespaces.values()].map((namespace) => [
        namespace.name,
        {
          replicationFactor: namespace.replicationFactor,
          shards: Object.fromEntries(
            state.shardsOf(namespace.name).map((shard) => [
              shard.id,
              {
                status: shard.status,
                term: shard.term,
                head: shard.chain[0] ?? null,
                chain: shard.chain,
                int32HashRange: shard.hashRange,
              },
            ]),
          ),
        },
      ]),
    );
    return {
      clusterStatus: { namespaces, shardIdGenerator: state.nextShardId, nodes: [...state.nodes.values()] },
      version: state.lastEntryId,
      entries: state.entriesApplied,
    };
  });

  /** The canonical dump of the metadata, for comparing managers (and journal replays). */
  app.get('/v1/cluster/dump', async (_request, reply) =>
    reply.type('application/json').send(store.state.dump()),
  );
}
