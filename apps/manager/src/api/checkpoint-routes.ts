import { Type } from '@sinclair/typebox';
import type { ShardSnapshots } from '@star/core';
import { ChainMethods, type NodeStatus, StarError } from '@star/protocol';
import type { FastifyInstance } from 'fastify';
import type { CheckpointQueues } from '../checkpoints/checkpoint-queues.js';
import type { ChainPublisher } from '../coordination/chain-publisher.js';
import type { ManagerImages } from '../images/manager-images.js';
import type { Journal } from '../journal/index.js';
import type { MetadataEntry } from '../metadata/journal-entries.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { type LeadershipView, leaderOnly } from './leader-guard.js';

const SnapshotsQuery = Type.Object({ shard: Type.Optional(Type.Integer({ minimum: 0 })) });
const SnapshotBody = Type.Object({ shard: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });
const CompactionBody = Type.Object(
  {
    shard: Type.Integer({ minimum: 0 }),
    /** Tombstones and log entries older than this are dropped (default: the manager's setting). */
    retentionMs: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
const JobParams = Type.Object({ queue: Type.String({ minLength: 1 }), id: Type.String({ minLength: 1 }) });

/**
 * Checkpoints: list manager images and shard snapshots (with sizes and checksums), enqueue image,
 * snapshot and compaction jobs on request (leader only), and look up a job's state and progress.
 */
export async function checkpointRoutes(
  app: FastifyInstance,
  options: {
    store: MetadataStore;
    journal: Journal<MetadataEntry>;
    images: ManagerImages;
    snapshots: ShardSnapshots;
    queues: CheckpointQueues;
    publisher: ChainPublisher;
    leadership: LeadershipView;
    compactionRetentionMs: number;
  },
): Promise<void> {
  const { store, journal, images, snapshots, queues, publisher, leadership } = options;

  app.get('/v1/checkpoints/images', async () => ({
    images: await images.list(),
    journalTrimmedTo: await journal.trimmedTo(),
    loadedAtStart: store.loadedImage ?? null,
  }));

  app.get('/v1/checkpoints/snapshots', { schema: { querystring: SnapshotsQuery } }, async (request) => {
    const { shard } = request.query as { shard?: number };
    if (shard !== undefined) return { snapshots: await snapshots.list(shard) };
    return { snapshots: [...(await snapshots.listAll()).values()].flat() };
  });

  app.post('/v1/checkpoints/images', { preHandler: leaderOnly(leadership) }, async (_request, reply) => {
    const journalId = await journal.lastId();
    if (journalId === undefined) {
      throw new StarError('Conflict', 'the journal is empty; nothing to image');
    }
    return reply.code(202).send({ journalId, job: await queues.requestImage(journalId) });
  });

  app.post(
    '/v1/checkpoints/snapshots',
    { schema: { body: SnapshotBody }, preHandler: leaderOnly(leadership) },
    async (request, reply) => {
      const { shard } = request.body as { shard: number };
      const minSeq = await commitSeqOf(shard);
      return reply.code(202).send({ shard, minSeq, job: await queues.requestSnapshot(shard, minSeq) });
    },
  );

  app.post(
    '/v1/checkpoints/compactions',
    { schema: { body: CompactionBody }, preHandler: leaderOnly(leadership) },
    async (request, reply) => {
      const body = request.body as { shard: number; retentionMs?: number };
      const shard = store.state.shards.get(body.shard);
      if (shard === undefined) throw new StarError('NotFound', `no shard ${body.shard}`);
      const retentionMs = body.retentionMs ?? options.compactionRetentionMs;
      const jobs = await Promise.all(
        shard.chain.map((node) => queues.requestCompaction(shard.id, node, retentionMs)),
      );
      return reply.code(202).send({ shard: shard.id, retentionMs, jobs });
    },
  );

  app.get('/v1/checkpoints/jobs/:queue/:id', { schema: { params: JobParams } }, async (request) => {
    const { queue, id } = request.params as { queue: string; id: string };
    const job = await queues.job(queue, id);
    if (job === undefined) throw new StarError('NotFound', `no job ${id} in queue ${queue}`);
    return job;
  });

  /** The commit point of a shard's tail: a snapshot asked for now covers at least it. */
  async function commitSeqOf(id: number): Promise<number> {
    const shard = store.state.shards.get(id);
    if (shard === undefined) throw new StarError('NotFound', `no shard ${id}`);
    const tail = store.state.nodes.get(shard.chain.at(-1) ?? '');
    if (tail === undefined) throw new StarError('Unavailable', `shard ${id} has no tail to snapshot`);
    const status = await publisher.request<NodeStatus>(tail.internalAddress, ChainMethods.status, {});
    const replica = status.shards.find((s) => s.shard === id);
    if (replica === undefined)
      throw new StarError('Unavailable', `tail ${tail.id} does not hold shard ${id} yet`);
    return replica.commitSeq;
  }
}
