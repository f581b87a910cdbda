import type { StarClient } from '@star/client';
import { type ChainConfig, ChainKeys, type Shard } from '@star/protocol';
import { type StarCluster, waitFor } from '@star/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient, journaledShard, startCluster, waitWritable } from './reconcile-support.js';

const secret = 'reconcile-deposed-secret';
let cluster: StarCluster | undefined;
let client: StarClient | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await cluster?.stop();
  cluster = undefined;
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
 * Issue 13 item 3: a leader paused inside a publication (at `manager.before-publish`, then stopped
 * long enough to be deposed) resumes after the next leader published newer terms. Its write must
 * not move the shard's published term backwards.
 */
describe('a deposed leader resuming a publication', () => {
  it('cannot lower the published term', async () => {
    cluster = await startCluster({ managers: 2, nodes: 3, env: { STAR_CLUSTER_SECRET: secret } });
    const c = cluster;
    const first = await c.leader();
    const { shards } = await c.api<{ shards: Shard[] }>(first.url, 'POST', '/v1/namespaces', {
      name: 'deposed',
      shards: 1,
      replicationFactor: 3,
    });
    const shard = shards[0]!;
    client = await connectClient(c, secret);
    await client.put('deposed', 'k', 'v1');

    await failpoint(first.url, `manager.before-publish@${shard.id}`, 'pause');
    c.nodes.get(shard.chain[2]!)!.process.kill('SIGKILL');
    await waitFor(async () => (await journaledShard(c, shard.id)).term > shard.term, {
      description: 'the chain without the killed node journaled (its publication paused)',
      timeoutMs: 20_000,
    });
    const paused = (await journaledShard(c, shard.id)).term;
    // Stopped long enough to lose leadership; the next leader republishes and restores RF with n4.
    c.managers.get(first.id)!.process.pause();
    const next = await c.leader(20_000);
    expect(next.id).not.toBe(first.id);
    await c.startNode('n4');
    const redis = c.redis.client();
    const publishedTerm = async () =>
      (JSON.parse((await redis.get(ChainKeys.shardConfig(shard.id)))!) as ChainConfig).term;
    try {
      await waitFor(async () => (await publishedTerm()) > paused, {
        description: 'the next leader to publish a newer term',
        timeoutMs: 30_000,
      });
      const newest = await publishedTerm();
      c.managers.get(first.id)!.process.resume();
      await failpoint(first.url, `manager.before-publish@${shard.id}`, undefined);
      // Watch the key while the resumed publication lands: the leader's reconciliation would
      // repair a lowered term within a fraction of a lease, so every value is looked at.
      let lowest = newest;
      const until = performance.now() + 3_000;
      while (performance.now() < until) {
        lowest = Math.min(lowest, await publishedTerm());
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      // Before the fix: the published term fell back to the deposed leader's.
      expect(lowest).toBe(newest);
      await waitWritable(client, 'deposed', 'k', 'v2', 30_000);
    } finally {
      redis.disconnect();
    }
  }, 120_000);
});
