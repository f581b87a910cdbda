import { StarClient } from '@star/client';
import type { NodeStatus, Shard } from '@star/protocol';
import { StarCluster, waitFor } from '@star/testkit';
import { afterEach, describe, expect, it } from 'vitest';

/** Long, so that a manager waiting out the old process's lease could not re-enter a node in time. */
const NODE_LEASE_MS = 8_000;
let cluster: StarCluster | undefined;
const clients: StarClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await cluster?.stop();
  cluster = undefined;
});

async function shardsNow(c: StarCluster): Promise<Shard[]> {
  const { url } = await c.leader();
  return (await c.api<{ shards: Shard[] }>(url, 'GET', '/v1/shards')).shards;
}

/**
 * DESIGN §3.14: a new incarnation's registration proves the old process gone, so the manager
 * re-enters a restarted node (term bump, as tail) at once instead of waiting out its old lease.
 */
describe('rolling restart', () => {
  it('re-enters each restarted node well within its old lease, while writes go on', async () => {
    cluster = await StarCluster.start({ managers: 1, nodes: 3, nodeLeaseMs: NODE_LEASE_MS });
    const c = cluster;
    await c.waitForNodes(3);
    const { url } = await c.leader();
    await c.api(url, 'POST', '/v1/namespaces', { name: 'roll', shards: 3, replicationFactor: 3 });
    for (let i = 0; i < 4; i++) {
      clients.push(await StarClient.connect({ managers: c.managerUrls, apiKey: c.adminKey }));
    }
    // The leader's start-up wait (a lease) passes before it reconfigures anything.
    await new Promise((resolve) => setTimeout(resolve, NODE_LEASE_MS + 500));

    let running = true;
    const acked: number[] = [];
    const writers = clients.map(async (client, i) => {
      for (let n = 0; running; n++) {
        try {
          await client.put('roll', `k${i}-${n % 16}`, `v${n}`);
          acked.push(performance.now());
        } catch {
          // a write that timed out is retried as a new one; the gaps tell the story
        }
      }
    });

    const figures: { node: string; reenteredMs: number; writeGapMs: number }[] = [];
    for (const node of ['n1', 'n2', 'n3']) {
      const before = new Map((await shardsNow(c)).map((shard) => [shard.id, shard.term]));
      const killedAt = performance.now();
      c.nodes.get(node)!.process.kill('SIGKILL');
      await c.nodes.get(node)!.process.exited;
      await c.startNode(node);
      // Back in every chain at a newer term, applied by the node itself.
      await waitFor(
        async () => {
          const shards = await shardsNow(c);
          const status = await c.api<NodeStatus>(c.nodes.get(node)!.url, 'GET', '/status');
          return shards.every((shard) => {
            const held = status.shards.find((s) => s.shard === shard.id);
            return (
              shard.term > before.get(shard.id)! &&
              shard.chain.includes(node) &&
              held?.term === shard.term &&
              held.role !== 'none'
            );
          });
        },
        { description: `${node} re-entered its chains`, timeoutMs: NODE_LEASE_MS * 3, intervalMs: 25 },
      );
      const reenteredMs = Math.round(performance.now() - killedAt);
      // Let writes flow before the next restart.
      const count = acked.length;
      await waitFor(async () => acked.length > count + 20, { description: 'writes after the restart' });
      // The longest stretch without an acknowledged write since the kill.
      const window = [killedAt, ...acked.filter((at) => at > killedAt)];
      const writeGapMs = Math.round(Math.max(...window.slice(1).map((at, i) => at - window[i]!)));
      figures.push({ node, reenteredMs, writeGapMs });
    }
    running = false;
    await Promise.all(writers);
    console.info({ nodeLeaseMs: NODE_LEASE_MS, figures });

    const nodes = await c.api<{ nodes: { id: string; state: string }[] }>(url, 'GET', '/v1/nodes');
    expect(nodes.nodes.every((n) => n.state === 'alive')).toBe(true);
    for (const figure of figures) expect(figure.reenteredMs).toBeLessThan(NODE_LEASE_MS);
  }, 180_000);
});
