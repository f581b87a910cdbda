import { StarClient } from '@star/client';
import { LinkClient } from '@star/core';
import { type ChainConfig, ChainKeys, ChainMethods, type Shard, StarError } from '@star/protocol';
import { StarCluster, TcpProxy, waitFor } from '@star/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { journaledShard } from './reconcile-support.js';

const secret = 'reconcile-hold-secret';
let cluster: StarCluster | undefined;
let client: StarClient | undefined;
const proxies: TcpProxy[] = [];
const links: LinkClient[] = [];
afterEach(async () => {
  for (const link of links.splice(0)) link.close();
  client?.close();
  client = undefined;
  for (const proxy of proxies) proxy.heal();
  await cluster?.stop();
  cluster = undefined;
  for (const proxy of proxies.splice(0)) await proxy.close();
});

async function failpoint(url: string, point: string, action: string | undefined): Promise<void> {
  const response = await fetch(`${url}/internal/failpoints/${point}`, {
    method: action === undefined ? 'DELETE' : 'PUT',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'text/plain' },
    ...(action === undefined ? {} : { body: action }),
  });
  if (!response.ok) throw new Error(`failpoint ${point}: ${response.status} ${await response.text()}`);
}

/**
 * Issue 13 item 5: a node drained out of a chain while alive, that the manager cannot tell (its
 * configure calls are dropped) and that cannot read the new configuration (its Redis path is
 * blackholed, so its lease runs out rather than being renewed), keeps serving clean reads until
 * its lease lapses. The new chain must not acknowledge a write before then.
 */
describe('a leaving node that cannot be told', () => {
  it('never serves a read that misses a write acknowledged by the new chain', async () => {
    cluster = await StarCluster.start({ managers: 1, nodes: 0, env: { STAR_CLUSTER_SECRET: secret } });
    const c = cluster;
    // Every node reaches Redis through a proxy of its own, so one node's control plane can be cut.
    const redisPort = Number(new URL(c.redis.url).port);
    const proxyOf = new Map<string, TcpProxy>();
    for (const id of ['n1', 'n2', 'n3', 'n4']) {
      const proxy = await TcpProxy.start({ target: { port: redisPort }, name: `redis-${id}` });
      proxies.push(proxy);
      proxyOf.set(id, proxy);
      await c.startNode(id, { env: { STAR_REDIS_URL: `redis://127.0.0.1:${proxy.port}` } });
    }
    await c.waitForNodes(4);
    const { url } = await c.leader();
    const { shards } = await c.api<{ shards: Shard[] }>(url, 'POST', '/v1/namespaces', {
      name: 'hold',
      shards: 1,
      replicationFactor: 3,
    });
    const shard = shards[0]!;
    client = await StarClient.connect({
      managers: c.managerUrls,
      apiKey: c.adminKey,
      clusterSecret: secret,
      requestTimeoutMs: 8_000,
    });
    await client.put('hold', 'k', '0');
    const victim = shard.chain[1]!;
    await failpoint(url, `manager.before-configure@${victim}`, 'error');

    // The drain first adds a replacement; its second step (dropping the victim) is held at publication.
    await c.api(url, 'POST', `/v1/nodes/${victim}/drain`);
    const redis = c.redis.client();
    try {
      await waitFor(
        async () => {
          const raw = await redis.get(ChainKeys.shardConfig(shard.id));
          const published = JSON.parse(raw!) as ChainConfig;
          return published.chain.length === 4 && published.chain.some((m) => m.id === victim);
        },
        { description: 'the replacement published as a fourth member', timeoutMs: 30_000 },
      );
    } finally {
      redis.disconnect();
    }
    await failpoint(url, `manager.before-publish@${shard.id}`, 'pause');
    await waitFor(async () => !(await journaledShard(c, shard.id)).chain.includes(victim), {
      description: `${victim} journaled out of the chain`,
      timeoutMs: 30_000,
    });

    // Writes and reads at the victim run while the victim loses Redis and the chain without it is published.
    const acked: { value: number; at: number }[] = [];
    const reads: { value: number | string; startedAt: number }[] = [];
    const link = new LinkClient({ url: `ws://127.0.0.1:${c.nodes.get(victim)!.port}/v1/link`, secret });
    links.push(link);
    let running = true;
    const writer = (async () => {
      for (let i = 1; running; i++) {
        try {
          await client!.put('hold', 'k', String(i));
          acked.push({ value: i, at: performance.now() });
        } catch {
          // Retried with the next value.
        }
      }
    })();
    const reader = (async () => {
      while (running) {
        const startedAt = performance.now();
        try {
          const response = await link.request<{ found: boolean; value?: Uint8Array }>(
            ChainMethods.get,
            { shard: shard.id, key: 'k' },
            { timeoutMs: 2_000 },
          );
          reads.push({
            value: response.found ? Number(Buffer.from(response.value!).toString()) : -1,
            startedAt,
          });
        } catch (error) {
          reads.push({ value: StarError.from(error).code, startedAt });
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    proxyOf.get(victim)!.blackhole();
    await failpoint(url, `manager.before-publish@${shard.id}`, undefined);
    await waitFor(
      async () =>
        acked.length > 0 &&
        acked.at(-1)!.at > performance.now() - 200 &&
        reads.at(-1)?.value === 'Unavailable',
      {
        description: 'writes acknowledged by the new chain while the victim refuses reads',
        timeoutMs: 20_000,
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    running = false;
    await Promise.all([writer, reader]);

    const stale = reads.filter((read) => {
      if (typeof read.value !== 'number') return false;
      const newest = acked.filter((write) => write.at < read.startedAt).at(-1);
      return newest !== undefined && (read.value as number) < newest.value;
    });
    const served = reads.filter((read) => typeof read.value === 'number');
    console.info({ reads: reads.length, served: served.length, acked: acked.length, stale: stale.length });
    expect(served.length).toBeGreaterThan(0);
    expect(acked.length).toBeGreaterThan(0);
    // Before the fix: stale reads — the members adopted the new key on their next renewal and
    // committed writes while the victim still served the old value under its lease.
    expect(stale.slice(0, 3)).toEqual([]);
  }, 120_000);
});
