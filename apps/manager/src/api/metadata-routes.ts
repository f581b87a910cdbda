import { Type } from '@sinclair/typebox';
import { Namespace, StarError } from '@star/protocol';
import type { FastifyInstance } from 'fastify';
import type { Coordinator } from '../coordination/coordinator.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { type LeadershipView, leaderOnly } from './leader-guard.js';

const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }) });
const IdParams = Type.Object({ id: Type.String({ minLength: 1 }) });
const ShardIdParams = Type.Object({ id: Type.Integer({ minimum: 0 }) });
const ShardsQuery = Type.Object({ namespace: Type.Optional(Type.String({ minLength: 1 })) });

/** Namespaces, nodes and shards: reads on any manager, changes on the leader only. */
export async function metadataRoutes(
  app: FastifyInstance,
  options: { store: MetadataStore; coordinator: Coordinator; leadership: LeadershipView },
): Promise<void> {
  const { store, coordinator, leadership } = options;
  const state = store.state;

  app.get('/v1/namespaces', async () => ({ namespaces: [...state.namespaces.values()] }));

  app.post(
    '/v1/namespaces',
    { schema: { body: Namespace }, preHandler: leaderOnly(leadership) },
    async (request, reply) => {
      const body = request.body as Namespace;
      const created = await coordinator.createNamespace({
        ...body,
        replicationFactor: body.replicationFactor ?? 3,
      });
      return reply.code(201).send(created);
    },
  );

  app.get('/v1/namespaces/:name', { schema: { params: NameParams } }, async (request) => {
    const { name } = request.params as { name: string };
    const namespace = state.namespaces.get(name);
    if (namespace === undefined) throw new StarError('NotFound', `no namespace ${name}`);
    return { namespace, shards: state.shardsOf(name) };
  });

  app.delete(
    '/v1/namespaces/:name',
    { schema: { params: NameParams }, preHandler: leaderOnly(leadership) },
    async (request, reply) => {
      await coordinator.deleteNamespace((request.params as { name: string }).name);
      return reply.code(204).send();
    },
  );

  app.get('/v1/nodes', async () => ({ nodes: [...state.nodes.values()] }));

  app.get('/v1/nodes/:id', { schema: { params: IdParams } }, async (request) => {
    const { id } = request.params as { id: string };
    const node = state.nodes.get(id);
    if (node === undefined) throw new StarError('NotFound', `no node ${id}`);
    const shards = [...state.shards.values()].filter((shard) => shard.chain.includes(id)).map((s) => s.id);
    return { node, shards };
  });

  app.post(
    '/v1/nodes/:id/drain',
    { schema: { params: IdParams }, preHandler: leaderOnly(leadership) },
    async (request, reply) => {
      await coordinator.drainNode((request.params as { id: string }).id);
      return reply.code(202).send({ draining: true });
    },
  );

  app.delete(
    '/v1/nodes/:id',
    { schema: { params: IdParams }, preHandler: leaderOnly(leadership) },
    async (request, reply) => {
      await coordinator.removeNode((request.params as { id: string }).id);
      return reply.code(204).send();
    },
  );

  app.get('/v1/shards', { schema: { querystring: ShardsQuery } }, async (request) => {
    const { namespace } = request.query as { namespace?: string };
    if (namespace !== undefined && !state.namespaces.has(namespace)) {
      throw new StarError('NotFound', `no namespace ${namespace}`);
    }
    const shards = namespace
      ? state.shardsOf(namespace)
      : [...state.shards.values()].sort((a, b) => a.id - b.id);
    return { shards };
  });

  app.get('/v1/shards/:id', { schema: { params: ShardIdParams } }, async (request) => {
    const { id } = request.params as { id: number };
    const shard = state.shards.get(id);
    if (shard === undefined) throw new StarError('NotFound', `no shard ${id}`);
    return shard;
  });
}
