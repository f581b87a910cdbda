import { LinkRouter, linkServer } from '@star/core';
import {
  type ChainConfig,
  ChainKeys,
  ChainMethods,
  ControlPlaneCodecs,
  ManagerKeys,
  type NodeInfo,
  type Shard,
} from '@star/protocol';
import { freePort, type RedisServer, startRedis } from '@star/testkit';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetadataState } from '../metadata/metadata-state.js';
import { ChainPublisher } from './chain-publisher.js';
import { Reconciler } from './reconciler.js';

let server: RedisServer;
let redis: Redis;
let publisher: ChainPublisher;
let app: FastifyInstance;
let address: string;
const received: ChainConfig[] = [];
const token = 4;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
  await redis.set(ManagerKeys.fence, String(token));
  await redis.set(ManagerKeys.leader, JSON.stringify({ id: 'm1', address: 'http://x', token }));
  publisher = new ChainPublisher({ redis, logger, secret: '', token: () => token });
  // One stand-in process answers `node.configure` for every node of these tests.
  const router = new LinkRouter().handle(ChainMethods.configure, (body) => {
    received.push(body as ChainConfig);
    return { term: (body as ChainConfig).term };
  });
  app = Fastify();
  await app.register(linkServer, { router });
  const port = await freePort();
  await app.listen({ port, host: '127.0.0.1' });
  address = `127.0.0.1:${port}`;
});
afterAll(async () => {
  publisher.close();
  await app.close();
  await server.stop();
});

function stateWith(shard: Shard, nodeAddress = address): MetadataState {
  const state = new MetadataState();
  for (const id of shard.chain) {
    const node: NodeInfo = {
      id,
      publicAddress: nodeAddress,
      internalAddress: nodeAddress,
      group: 'default',
      capacity: 1,
      state: 'alive',
    };
    state.nodes.set(id, node);
  }
  state.shards.set(shard.id, shard);
  return state;
}

function shard(id: number, term: number, chain: string[]): Shard {
  return { id, namespace: 'ns', hashRange: { min: 0, max: 0xffffffff }, term, chain, status: 'SteadyState' };
}

async function report(node: string, shards: { shard: number; term: number }[]): Promise<void> {
  await redis.set(ChainKeys.nodeLease(node), node, 'PX', 60_000);
  await redis.set(
    ChainKeys.nodeApplied(node),
    ControlPlaneCodecs.appliedReport.encode({ node, at: Date.now(), shards }),
  );
}

async function publishedTerm(id: number): Promise<number | undefined> {
  const raw = await redis.get(ChainKeys.shardConfig(id));
  return raw === null ? undefined : (JSON.parse(raw) as ChainConfig).term;
}

describe('Reconciler', () => {
  it('republishes a key behind the journal (a leader died before writing it)', async () => {
    const reconciler = new Reconciler({ redis, publisher, logger, patienceMs: 0 });
    await redis.set(
      ChainKeys.shardConfig(1),
      JSON.stringify({
        shard: 1,
        term: 4,
        chain: [
          { id: 'a', address },
          { id: 'b', address },
          { id: 'c', address },
        ],
      }),
    );
    const pass = await reconciler.reconcile(stateWith(shard(1, 5, ['b', 'c'])));
    expect(pass).toMatchObject({ republished: 1, retold: 0, entries: [] });
    expect(await publishedTerm(1)).toBe(5);
    expect(received.filter((c) => c.shard === 1 && c.term === 5)).toHaveLength(2);
  });

  it('re-tells a reporting member that lags, after its patience, and leaves agreeing ones alone', async () => {
    const reconciler = new Reconciler({ redis, publisher, logger, patienceMs: 200 });
    const state = stateWith(shard(2, 3, ['a', 'b']));
    await reconciler.reconcile(state); // publishes term 3 (no key yet)
    received.length = 0;
    await report('a', [{ shard: 2, term: 3 }]);
    await report('b', [{ shard: 2, term: 2 }]);
    expect((await reconciler.reconcile(state)).retold).toBe(0); // lagging, but within patience
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await reconciler.reconcile(state)).retold).toBe(1);
    expect(received).toEqual([expect.objectContaining({ shard: 2, term: 3, token })]);
    await report('b', [{ shard: 2, term: 3 }]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await reconciler.reconcile(state)).retold).toBe(0);
    // A lagging member whose lease key is gone (dead, not yet chained around) is not dialed.
    await report('b', [{ shard: 2, term: 2 }]);
    await redis.del(ChainKeys.nodeLease('b'));
    await new Promise((resolve) => setTimeout(resolve, 250));
    await reconciler.reconcile(state);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await reconciler.reconcile(state)).retold).toBe(0);
  });

  it('asks for a term bump when a member re-registered at a new address', async () => {
    const reconciler = new Reconciler({ redis, publisher, logger, patienceMs: 0 });
    await reconciler.reconcile(stateWith(shard(3, 2, ['a'])));
    const moved = stateWith(shard(3, 2, ['a']), '127.0.0.1:9');
    const pass = await reconciler.reconcile(moved);
    expect(pass.entries).toEqual([
      { type: 'shard.reconfigured', data: { id: 3, term: 3, chain: ['a'], status: 'SteadyState' } },
    ]);
  });
});

describe('Reconciler, deleted shards', () => {
  it('removes config keys of shards the journal deleted, once, and keeps the live ones', async () => {
    const reconciler = new Reconciler({ redis, publisher, logger, patienceMs: 60_000 });
    const state = stateWith(shard(9, 1, ['a']));
    state.nextShardId = 10;
    // Keys the tests above published for shards this state does not have.
    for (let id = 1; id < 7; id++) await redis.del(ChainKeys.shardConfig(id));
    for (const id of [7, 8]) await redis.set(ChainKeys.shardConfig(id), '{"left":"by a dead leader"}');
    expect(await reconciler.reconcile(state)).toMatchObject({ removed: 2 });
    expect(await redis.exists(ChainKeys.shardConfig(7), ChainKeys.shardConfig(8))).toBe(0);
    expect(await publishedTerm(9)).toBe(1);
    expect(await reconciler.reconcile(state)).toMatchObject({ removed: 0 });
  });
});
