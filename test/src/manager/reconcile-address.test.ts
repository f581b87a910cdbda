import type { StarClient } from '@star/client';
import { type ChainConfig, ChainKeys, type Shard } from '@star/protocol';
import { freePort, type StarCluster, TcpProxy } from '@star/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient, journaledShard, startCluster, waitWritable } from './reconcile-support.js';

let cluster: StarCluster | undefined;
let client: StarClient | undefined;
const proxies: TcpProxy[] = [];
afterEach(async () => {
  client?.close();
  client = undefined;
  await cluster?.stop();
  cluster = undefined;
  for (const proxy of proxies.splice(0)) await proxy.close();
});

/**
 * Issue 13 item 2: a node that re-registers at a new address (restarted behind another advertised
 * address, faster than it could be declared dead) must be republished with it — a term bump —
 * or its chain neighbours go on dialing the old address forever.
 */
describe('a member re-registered at a new address', () => {
  it('is republished with a term bump, and the shard commits again', async () => {
    // A long lease: the restart never makes the node count as dead (no failover hides the bug).
    cluster = await startCluster({ managers: 1, nodes: 2, nodeLeaseMs: 8_000 });
    const c = cluster;
    const port = await freePort();
    const first = await TcpProxy.start({ target: { port }, name: 'n3-first' });
    const second = await TcpProxy.start({ target: { port }, name: 'n3-second' });
    proxies.push(first, second);
    await c.startNode('n3', { port, env: { STAR_ADVERTISE_ADDRESS: `127.0.0.1:${first.port}` } });
    await c.waitForNodes(3);
    const { url } = await c.leader();
    const { shards } = await c.api<{ shards: Shard[] }>(url, 'POST', '/v1/namespaces', {
      name: 'moved',
      shards: 1,
      replicationFactor: 3,
    });
    const shard = shards[0]!;
    client = await connectClient(c);
    await client.put('moved', 'k', 'v1');

    await c.nodes.get('n3')!.process.stop(5_000);
    first.refuse();
    await c.startNode('n3', { env: { STAR_ADVERTISE_ADDRESS: `127.0.0.1:${second.port}` } });

    // Before the fix: no write was acknowledged (the chain still dialed n3's old address).
    await waitWritable(client, 'moved', 'k', 'v2', 30_000);
    const now = await journaledShard(c, shard.id);
    expect(now.term).toBeGreaterThan(shard.term);
    const redis = c.redis.client();
    try {
      const published = JSON.parse((await redis.get(ChainKeys.shardConfig(shard.id)))!) as ChainConfig;
      expect(published.chain.find((m) => m.id === 'n3')?.address).toBe(`127.0.0.1:${second.port}`);
    } finally {
      redis.disconnect();
    }
  }, 120_000);
});
