import type { StarClient } from '@star/client';
import type { StarCluster } from '@star/testkit';
import { waitFor } from '@star/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { journaledShard, oneShard, startCluster, waitWritable } from './reconcile-support.js';

let cluster: StarCluster | undefined;
let client: StarClient | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await cluster?.stop();
  cluster = undefined;
});

/**
 * Issue 13 item 2: a replacement replica joins as the tail, but every manager→joiner configure
 * call is dropped. The joiner must still take its replica (it is listed in the published config),
 * or the chain has a tail that holds nothing and no write commits again.
 */
describe('a joiner whose configure calls are dropped', () => {
  it('still brings the shard back to its replication factor, committing writes', async () => {
    // Every configure call to n4 fails; n4 starts after the namespace was placed on n1..n3.
    const joiner = 'n4';
    cluster = await startCluster({
      managers: 1,
      nodes: 3,
      env: { STAR_FAILPOINTS: `manager.before-configure@${joiner}=error` },
    });
    const c = cluster;
    const started = await oneShard(c, 'joiner', 3);
    client = started.client;
    const { shard } = started;
    await client.put('joiner', 'k', 'v1');
    await c.startNode(joiner);
    await c.waitForNodes(4);
    const victim = shard.chain[1]!;
    c.nodes.get(victim)!.process.kill('SIGKILL');

    await waitFor(
      async () => {
        const now = await journaledShard(c, shard.id);
        return now.chain.length === 3 && now.chain.includes(joiner) && !now.chain.includes(victim);
      },
      { description: `${joiner} journaled as the replacement of ${victim}`, timeoutMs: 30_000 },
    );
    // Before the fix: every write timed out (the joiner, the tail, never created its replica).
    await waitWritable(client, 'joiner', 'k', 'v2', 30_000);
    const status = await c.api<{ shards: { shard: number; role: string; commitSeq: number }[] }>(
      c.nodes.get(joiner)!.url,
      'GET',
      '/status',
    );
    const held = status.shards.find((s) => s.shard === shard.id);
    expect(held?.role).toBe('tail');
    expect(held!.commitSeq).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
