import { LinkRouter, linkServer } from '@star/core';
import {
  type ChainConfig,
  ChainKeys,
  ChainMethods,
  ManagerKeys,
  type NodeInfo,
  type Shard,
} from '@star/protocol';
import { freePort, type RedisServer, startRedis } from '@star/testkit';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainPublisher } from './chain-publisher.js';

let server: RedisServer;
let redis: Redis;
const apps: FastifyInstance[] = [];
const publishers: ChainPublisher[] = [];

const token = 3;

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
  await redis.set(ManagerKeys.fence, String(token));
  await redis.set(ManagerKeys.leader, JSON.stringify({ id: 'm1', address: 'http://x', token }));
});
afterAll(async () => {
  for (const publisher of publishers) publisher.close();
  for (const app of apps) await app.close();
  await server.stop();
});

/** A stand-in node: accepts links and records every `node.configure` it receives, with when. */
async function fakeNode(): Promise<{ address: string; received: { at: number; config: ChainConfig }[] }> {
  const received: { at: number; config: ChainConfig }[] = [];
  const router = new LinkRouter().handle(ChainMethods.configure, (body) => {
    received.push({ at: performance.now(), config: body as ChainConfig });
    return { term: (body as ChainConfig).term };
  });
  const app = Fastify();
  await app.register(linkServer, { router });
  const port = await freePort();
  await app.listen({ port, host: '127.0.0.1' });
  apps.push(app);
  return { address: `127.0.0.1:${port}`, received };
}

function node(id: string, address: string): NodeInfo {
  return {
    id,
    publicAddress: address,
    internalAddress: address,
    group: 'default',
    capacity: 1,
    state: 'alive',
  };
}

const leaseWaitMs = 5_000;

async function publishWithLeaver(
  shardId: number,
  leaver: { id: string; address: string; leased: boolean },
): Promise<{ elapsedMs: number; members: { at: number; config: ChainConfig }[]; started: number }> {
  const member = await fakeNode();
  const nodes = new Map([
    ['a', node('a', member.address)],
    ['b', node('b', member.address)],
  ]);
  const previous: ChainConfig = {
    shard: shardId,
    term: 4,
    chain: [
      { id: 'a', address: member.address },
      { id: leaver.id, address: leaver.address },
      { id: 'b', address: member.address },
    ],
  };
  await redis.set(ChainKeys.shardConfig(shardId), JSON.stringify(previous));
  if (leaver.leased) await redis.set(ChainKeys.nodeLease(leaver.id), 'x', 'PX', 60_000);
  const publisher = new ChainPublisher({
    redis,
    logger: pino({ level: 'silent' }),
    secret: '',
    leaseWaitMs,
    token: () => token,
  });
  publishers.push(publisher);
  const shard: Shard = {
    id: shardId,
    namespace: 'ns',
    hashRange: { min: 0, max: 0xffffffff },
    term: 5,
    chain: ['a', 'b'],
    status: 'SteadyState',
  };
  const started = performance.now();
  await publisher.publish(shard, nodes);
  return { elapsedMs: performance.now() - started, members: member.received, started };
}

describe('ChainPublisher and nodes leaving a chain (regression, found by the fault suite)', () => {
  it('tells a live leaving node before the members', async () => {
    const leaver = await fakeNode();
    const { members } = await publishWithLeaver(1, { id: 'x1', address: leaver.address, leased: true });
    expect(leaver.received.map((r) => r.config.term)).toEqual([5]);
    expect(members).toHaveLength(2);
    expect(Math.min(...members.map((m) => m.at))).toBeGreaterThanOrEqual(leaver.received[0]!.at);
  });

  it('holds the new chain for a lease when a leaving node holding a lease cannot be told', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const { members, elapsedMs } = await publishWithLeaver(2, { id: 'x2', address: closed, leased: true });
    // The members are configured at once, but the configuration carries the hold their tail honours.
    expect(members.map((m) => m.config.holdMs)).toEqual([leaseWaitMs, leaseWaitMs]);
    expect(elapsedMs).toBeLessThan(leaseWaitMs);
    const stored = JSON.parse((await redis.get(ChainKeys.shardConfig(2)))!) as ChainConfig;
    expect(stored).toMatchObject({ term: 5, token, holdMs: leaseWaitMs });
  }, 20_000);

  it('neither dials nor waits for a leaving node whose lease is gone (a dead node)', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const { members, elapsedMs } = await publishWithLeaver(3, { id: 'x3', address: closed, leased: false });
    expect(members).toHaveLength(2);
    expect(members[0]!.config.holdMs).toBeUndefined();
    expect(elapsedMs).toBeLessThan(1_000);
  });
});
