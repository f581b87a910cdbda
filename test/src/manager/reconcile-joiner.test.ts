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
    // A write may still commit at the term before the joiner's (a head that has not applied the new
    // chain yet, on a loaded machine): wait for the joiner to be the tail holding both writes.
    const held = await waitFor(
      async () => {
        const status = await c.api<{ shards: { shard: number; role: string; commitSeq: number }[] }>(
          c.nodes.get(joiner)!.url,
          'GET',
          '/status',
        );
        const replica = status.shards.find((s) => s.shard === shard.id);
        return replica?.role === 'tail' && replica.commitSeq >= 2 ? replica : undefined;
      },
      { description: `${joiner} to be the tail holding both writes`, timeoutMs: 20_000 },
    );
    expect(held.role).toBe('tail');
  }, 120_000);
});
