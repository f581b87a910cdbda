import { ChainMethods, type GetResponse, StarError, type WriteResult } from '@star/protocol';
import { ChainCluster } from '@star/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const SHARD = 4;
let cluster: ChainCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('read lease', () => {
  it('a node paused past its lease and removed from the chain answers no read with stale data', async () => {
    cluster = await ChainCluster.start({ nodes: 3 });
    const c = cluster;
    await c.configure(SHARD, ['n1', 'n2', 'n3']);
    const put = (value: string) =>
      c
        .node('n1')
        .link.request<WriteResult>(ChainMethods.put, { shard: SHARD, key: 'k', value: Buffer.from(value) });
    await put('old');
    const readFrom = (id: string) =>
      c
        .node(id)
        .link.request<GetResponse>(ChainMethods.get, { shard: SHARD, key: 'k' }, { timeoutMs: 2_000 });
    expect((await readFrom('n3')).found).toBe(true);

    c.node('n3').service.process.pause();
    await c.waitForLeaseExpiry('n3');
    await c.configure(SHARD, ['n1', 'n2']);
    await put('new');
    expect(Buffer.from(((await readFrom('n2')) as { value: Uint8Array }).value).toString()).toBe('new');

    c.node('n3').service.process.resume();
    const answers: string[] = [];
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      try {
        const response = await readFrom('n3');
        answers.push(response.found ? Buffer.from(response.value).toString() : 'absent');
      } catch (error) {
        answers.push(StarError.from(error).code);
      }
    }
    expect(answers.length).toBeGreaterThan(10);
    expect(answers).not.toContain('old');
    // It first refuses on its lapsed lease, then learns it left the chain.
    expect(answers).toContain('MisdirectedRequest');
    expect((await c.status('n3')).shards[0]).toMatchObject({ term: 2, role: 'none' });
  }, 60_000);
});
