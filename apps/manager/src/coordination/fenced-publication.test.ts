import {
  type ChainConfig,
  ChainKeys,
  ControlPlaneCodecs,
  ManagerKeys,
  type NodeInfo,
  type Shard,
} from '@star/protocol';
import { type RedisServer, startRedis } from '@star/testkit';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindScript } from '../journal/redis-script.js';
import { ChainPublisher } from './chain-publisher.js';
import { publishScript } from './publish-script.js';

let server: RedisServer;
let redis: Redis;
const publishers: ChainPublisher[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
});
afterAll(async () => {
  for (const publisher of publishers) publisher.close();
  await server.stop();
});

function publisherWithToken(token: number): ChainPublisher {
  const publisher = new ChainPublisher({
    redis,
    logger: pino({ level: 'silent' }),
    secret: '',
    token: () => token,
  });
  publishers.push(publisher);
  return publisher;
}

/** Makes `token` the current leader's, as an election win does (fence counter and leader record). */
async function elect(token: number): Promise<void> {
  await redis.set(ManagerKeys.fence, String(token));
  await redis.set(
    ManagerKeys.leader,
    JSON.stringify({ id: `m${token}`, address: 'http://x', token }),
    'PX',
    60_000,
  );
}

// No node listens at these addresses: configure calls fail, which does not matter here.
const nodes = new Map<string, NodeInfo>(
  ['a', 'b', 'c'].map((id) => [
    id,
    {
      id,
      publicAddress: '127.0.0.1:1',
      internalAddress: '127.0.0.1:1',
      group: 'default',
      capacity: 1,
      state: 'dead',
    },
  ]),
);

function shard(id: number, term: number, chain: string[]): Shard {
  return { id, namespace: 'ns', hashRange: { min: 0, max: 0xffffffff }, term, chain, status: 'SteadyState' };
}

async function published(id: number): Promise<ChainConfig> {
  const key = ChainKeys.shardConfig(id);
  return ControlPlaneCodecs.shardConfig.decode((await redis.get(key))!, key);
}

describe('fenced, monotone publication (issue 13 item 3)', () => {
  it('a deposed leader whose publish lands late cannot move the term backwards', async () => {
    const deposed = publisherWithToken(1);
    const current = publisherWithToken(2);
    await elect(2);
    // The new leader published term 5 without `c`; the old one, paused before its write, resumes
    // and publishes its term 4 with `c` still a member.
    await current.publish(shard(10, 5, ['a', 'b']), nodes);
    await deposed.publish(shard(10, 4, ['a', 'b', 'c']), nodes).catch(() => undefined);
    const now = await published(10);
    expect(now.term).toBe(5);
    expect(now.chain.map((m) => m.id)).toEqual(['a', 'b']);
  }, 30_000);

  it('a deposed leader cannot publish even a newer term', async () => {
    const deposed = publisherWithToken(1);
    const current = publisherWithToken(2);
    await elect(2);
    await current.publish(shard(11, 5, ['a', 'b']), nodes);
    await deposed.publish(shard(11, 6, ['a', 'b', 'c']), nodes).catch(() => undefined);
    expect((await published(11)).term).toBe(5);
  }, 30_000);

  it('the script itself never lowers a term, even for the current leader (a GET/SET race)', async () => {
    await elect(2);
    const write = bindScript(redis, publishScript);
    const key = ChainKeys.shardConfig(12);
    const encode = (term: number) =>
      JSON.stringify({ shard: 12, term, chain: [{ id: 'a', address: 'x:1' }] });
    expect(await write([ManagerKeys.leader, ManagerKeys.fence, key], [2, 5, encode(5)])).toEqual([1, 0]);
    expect(await write([ManagerKeys.leader, ManagerKeys.fence, key], [2, 4, encode(4)])).toEqual([0, 5]);
    expect(await write([ManagerKeys.leader, ManagerKeys.fence, key], [2, 5, encode(5)])).toEqual([0, 5]);
    await expect(write([ManagerKeys.leader, ManagerKeys.fence, key], [1, 6, encode(6)])).rejects.toThrow(
      /FENCED 1 2 2/,
    );
    expect((await published(12)).term).toBe(5);
  });

  it('a deposed leader gets a FencedError', async () => {
    await elect(2);
    await expect(publisherWithToken(1).publish(shard(13, 1, ['a']), nodes)).rejects.toMatchObject({
      name: 'FencedError',
    });
  });
});
