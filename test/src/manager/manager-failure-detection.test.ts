import { ChainKeys, type Shard } from '@star/protocol';
import { StarCluster, waitFor } from '@star/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const NODE_LEASE_MS = 4_000;
let cluster: StarCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/**
 * DESIGN §3.8: the manager removes a node from a chain only after it has itself seen no renewal
 * for a full lease plus a margin, on its own clock. A lease key that vanishes early (a Redis clock
 * step, eviction, a failover that lost the last SET) must not shorten that wait: the node may still
 * hold its lease and serve reads.
 */
describe('failure detection does not trust the lease key alone', () => {
  it('a paused node whose lease key is deleted by hand stays in its chain for a full lease', async () => {
    cluster = await StarCluster.start({ managers: 1, nodes: 3, nodeLeaseMs: NODE_LEASE_MS });
    const c = cluster;
    await c.waitForNodes(3);
    const { url } = await c.leader();
    const { shards } = await c.api<{ shards: Shard[] }>(url, 'POST', '/v1/namespaces', {
      name: 'detect',
      shards: 1,
      replicationFactor: 3,
    });
    const shard = shards[0]!;
    const victim = shard.chain[1]!;
    // A new leader waits out a lease before it acts; let that pass so only detection is measured.
    await new Promise((resolve) => setTimeout(resolve, NODE_LEASE_MS + 1_000));

    const redis = c.redis.client();
    let renewedAt: number;
    try {
      c.nodes.get(victim)!.process.pause();
      // The key's remaining TTL dates the paused node's last renewal (SET ... PX lease).
      const pttl = await redis.pttl(ChainKeys.nodeLease(victim));
      renewedAt = performance.now() - (NODE_LEASE_MS - pttl);
      // The key vanishes at once, though the node's lease runs for another `pttl` ms.
      expect(await redis.del(ChainKeys.nodeLease(victim))).toBe(1);
    } finally {
      redis.disconnect();
    }
    await waitFor(
      async () => {
        const now = await c.api<{ shards: Shard[] }>(url, 'GET', '/v1/shards');
        return !now.shards.find((s) => s.id === shard.id)!.chain.includes(victim);
      },
      { description: `${victim} removed from its chain`, timeoutMs: NODE_LEASE_MS * 4, intervalMs: 25 },
    );
    const removedAfterMs = Math.round(performance.now() - renewedAt);
    console.info({ victim, removedAfterRenewalMs: removedAfterMs, nodeLeaseMs: NODE_LEASE_MS });
    // Removing it sooner than a lease after its last renewal is removing a node that may still
    // hold a valid lease and serve reads.
    expect(removedAfterMs).toBeGreaterThanOrEqual(NODE_LEASE_MS);
    // And it is still detected: within a lease, the margin and a few checks.
    expect(removedAfterMs).toBeLessThan(NODE_LEASE_MS + 3_000);
  }, 90_000);
});
