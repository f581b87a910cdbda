import { type ChainConfig, ChainMethods, type GetResponse, StarError } from '@star/protocol';
import { ChainCluster } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SHARD = 5;
let cluster: ChainCluster;

beforeAll(async () => {
  cluster = await ChainCluster.start({ nodes: 2, maxValueBytes: 4_096 });
  await cluster.configure(SHARD, ['n1', 'n2']);
});
afterAll(async () => {
  await cluster.stop();
});

async function refusal(method: string, body: unknown, node = 'n1'): Promise<StarError> {
  try {
    await cluster.node(node).link.request(method, body, { timeoutMs: 5_000 });
  } catch (error) {
    return StarError.from(error);
  }
  throw new Error(`${method} was accepted`);
}

describe('bad input to a chain node', () => {
  it.each([
    [
      'a key over 1 KiB',
      { shard: SHARD, key: 'k'.repeat(1025), value: Buffer.from('v') },
      'BadRequest',
      /1025 bytes/,
    ],
    [
      'a value over the limit',
      { shard: SHARD, key: 'big', value: Buffer.alloc(4_097) },
      'PayloadTooLarge',
      /4097/,
    ],
    [
      'an unknown shard',
      { shard: 999, key: 'k', value: Buffer.from('v') },
      'MisdirectedRequest',
      /shard 999/,
    ],
    ['a missing key', { shard: SHARD, value: Buffer.from('v') }, 'BadRequest', /key/],
    ['a value that is not bytes', { shard: SHARD, key: 'k', value: 'text' }, 'BadRequest', /value/],
    [
      'a negative expected version',
      { shard: SHARD, key: 'k', value: Buffer.from('v'), expectedVersion: -1 },
      'BadRequest',
      /expectedVersion/,
    ],
    ['a body that is not a map', 'put me', 'BadRequest', /invalid put/],
  ])('refuses a put with %s, with a typed error', async (_name, body, code, message) => {
    const error = await refusal(ChainMethods.put, body);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('refuses writes at a replica that is not the head, naming the head', async () => {
    const error = await refusal(ChainMethods.put, { shard: SHARD, key: 'k', value: Buffer.from('v') }, 'n2');
    expect(error.code).toBe('MisdirectedRequest');
    expect(error.details).toMatchObject({ head: 'n1' });
  });

  it('refuses chain messages of an older term and configurations going back in time', async () => {
    const stale = await refusal(ChainMethods.commitSeq, { shard: SHARD, term: 0 }, 'n2');
    expect(stale.code).toBe('StaleTerm');
    const old: ChainConfig = {
      shard: SHARD,
      term: 1,
      chain: [{ id: 'n2', address: cluster.node('n2').address }],
    };
    await cluster.configure(SHARD, ['n1', 'n2']); // now at term 2
    const backwards = await refusal(ChainMethods.configure, old, 'n2');
    expect(backwards.code).toBe('StaleTerm');
    const malformed = await refusal(ChainMethods.configure, { shard: SHARD, term: 3, chain: [] }, 'n2');
    expect(malformed.code).toBe('BadRequest');
    const append = await refusal(
      ChainMethods.append,
      { shard: SHARD, term: 2, entries: [], commitSeq: 0 },
      'n2',
    );
    expect(append.code).toBe('Conflict'); // an append on a link that never did the handshake
  });

  it('stores nothing from refused writes and keeps serving', async () => {
    const status = await cluster.status('n1');
    expect(status.shards.find((s) => s.shard === SHARD)?.lastSeq).toBe(0);
    const missing = await cluster
      .node('n2')
      .link.request<GetResponse>(ChainMethods.get, { shard: SHARD, key: 'big' }, { timeoutMs: 5_000 });
    expect(missing.found).toBe(false);
    const ok = await cluster
      .node('n1')
      .link.request(
        ChainMethods.put,
        { shard: SHARD, key: 'fine', value: Buffer.from('v') },
        { timeoutMs: 5_000 },
      );
    expect(ok).toMatchObject({ version: 1 });
    expect(cluster.node('n1').service.process.isRunning()).toBe(true);
    expect(cluster.node('n2').service.process.isRunning()).toBe(true);
  });
});
