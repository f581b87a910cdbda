import { StarClient } from '@star/client';
import { LinkClient } from '@star/core';
import { type ChainConfig, ChainKeys, ChainMethods, type Shard, StarError } from '@star/protocol';
import { StarCluster, waitFor } from '@star/testkit';
import { afterEach, describe, expect, it } from 'vitest';

let cluster: StarCluster | undefined;
let client: StarClient | undefined;
const links: LinkClient[] = [];
afterEach(async () => {
  for (const link of links.splice(0)) link.close();
  client?.close();
  client = undefined;
  await cluster?.stop();
  cluster = undefined;
});

async function start(): Promise<{ c: StarCluster; shard: Shard; client: StarClient }> {
  cluster = await StarCluster.start({ managers: 1, nodes: 4 });
  const c = cluster;
  await c.waitForNodes(4);
  const { url } = await c.leader();
  const { shards } = await c.api<{ shards: Shard[] }>(url, 'POST', '/v1/namespaces', {
    name: 'fence',
    shards: 1,
    replicationFactor: 3,
  });
  client = await StarClient.connect({ managers: c.managerUrls, apiKey: c.adminKey });
  return { c, shard: shards[0]!, client };
}

/** A read of `key` straight at node `id` (its own port, no routing): the value, or the error code. */
async function readAt(c: StarCluster, id: string, shard: number, key: string): Promise<string> {
  const link = new LinkClient({ url: `ws://127.0.0.1:${c.nodes.get(id)!.port}/v1/link` });
  links.push(link);
  try {
    const response = await link.request<{ found: boolean; value?: Uint8Array }>(
      ChainMethods.get,
      { shard, key },
      { timeoutMs: 3_000 },
    );
    return response.found ? Buffer.from(response.value!).toString() : 'absent';
  } catch (error) {
    return StarError.from(error).code;
  } finally {
    link.close();
  }
}

/**
 * Regression tests for a stale read the fault suite found: a node moved out of a chain (its
 * replica moved elsewhere, say by a drain or a rebalance) was never told, and its lease is per
 * node, so it went on answering reads of the shard from a state the new chain no longer updated.
 */
describe('a node leaving a chain while alive stops serving the shard', () => {
  it('at once when the manager tells it (a drain moves its replica away)', async () => {
    const { c, shard, client } = await start();
    await client.put('fence', 'k', 'v1');
    const victim = shard.chain[1]!;
    expect(await readAt(c, victim, shard.id, 'k')).toBe('v1');

    const { url } = await c.leader();
    await c.api(url, 'POST', `/v1/nodes/${victim}/drain`);
    await waitFor(
      async () => {
        const { shards } = await c.api<{ shards: Shard[] }>(url, 'GET', '/v1/shards');
        const now = shards.find((s) => s.id === shard.id)!;
        return !now.chain.includes(victim) && now.chain.length === 3;
      },
      { description: `${victim} moved out of the chain`, timeoutMs: 30_000 },
    );
    await client.put('fence', 'k', 'v2');
    // Before the fix: 'v1' — the drained node still believed it was the chain's middle.
    expect(await readAt(c, victim, shard.id, 'k')).toBe('MisdirectedRequest');
  }, 90_000);

  it('within one lease renewal when nobody tells it (it reads the configuration from Redis)', async () => {
    const { c, shard, client } = await start();
    await client.put('fence', 'k', 'v1');
    const victim = shard.chain.at(-1)!;
    expect(await readAt(c, victim, shard.id, 'k')).toBe('v1');

    // A newer configuration without the victim, published only to Redis: as if the manager's
    // `configure` call never reached it.
    const redis = c.redis.client();
    try {
      const current = JSON.parse((await redis.get(ChainKeys.shardConfig(shard.id)))!) as ChainConfig;
      const next: ChainConfig = {
        ...current,
        term: current.term + 100,
        chain: current.chain.filter((member) => member.id !== victim),
      };
      await redis.set(ChainKeys.shardConfig(shard.id), JSON.stringify(next));
    } finally {
      redis.disconnect();
    }
    // Renewals run every lease/5; two leases is a generous bound. Before the fix it kept answering v1.
    await waitFor(async () => (await readAt(c, victim, shard.id, 'k')) === 'MisdirectedRequest', {
      description: `${victim} to drop the shard`,
      timeoutMs: c.options.nodeLeaseMs * 2,
      intervalMs: 50,
    });
  }, 90_000);
});
