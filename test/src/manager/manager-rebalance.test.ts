import type { NodeInfo, Shard } from '@star/protocol';
import { StarCluster, waitFor } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let cluster: StarCluster;

beforeAll(async () => {
  cluster = await StarCluster.start({ managers: 1, nodes: 3 });
  await cluster.waitForNodes(3);
  const { url } = await cluster.leader();
  await cluster.api(url, 'POST', '/v1/namespaces', { name: 'moving', shards: 6, replicationFactor: 2 });
});
afterAll(async () => {
  await cluster.stop();
});

async function chains(): Promise<Shard[]> {
  const { url } = await cluster.leader();
  return (await cluster.api<{ shards: Shard[] }>(url, 'GET', '/v1/shards?namespace=moving')).shards;
}

function load(shards: Shard[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const shard of shards) for (const id of shard.chain) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

describe('rebalancing and draining', () => {
  it('moves replicas onto a node that joins until replica counts differ by at most one', async () => {
    await cluster.startNode('n4');
    await waitFor(
      async () => {
        const shards = await chains();
        const counts = load(shards);
        return (
          (counts.get('n4') ?? 0) > 0 &&
          shards.every((s) => s.chain.length === 2 && s.status === 'SteadyState') &&
          Math.max(...counts.values()) - Math.min(...counts.values()) <= 1
        );
      },
      { description: 'the cluster to rebalance onto n4', timeoutMs: 30_000 },
    );
    // Every moved replica was configured on its node at the shard's current term.
    for (const shard of await chains()) {
      for (const id of shard.chain) {
        const status = await cluster.api<{ shards: { shard: number; term: number; role: string }[] }>(
          cluster.nodes.get(id)!.url,
          'GET',
          '/status',
        );
        expect(status.shards.find((s) => s.shard === shard.id)?.term).toBe(shard.term);
      }
    }
  });

  it('drains a node to zero replicas, then removes it; removing a node with replicas is refused', async () => {
    const { url } = await cluster.leader();
    const refused = await cluster
      .api(url, 'DELETE', '/v1/nodes/n2')
      .catch((e: { status: number; body: string }) => e);
    expect((refused as { status: number }).status).toBe(409);
    expect((refused as { body: string }).body).toMatch(/drain it first/);

    await cluster.api(url, 'POST', '/v1/nodes/n2/drain');
    await waitFor(async () => !load(await chains()).has('n2'), {
      description: 'n2 to drain',
      timeoutMs: 40_000,
    });
    for (const shard of await chains()) expect(shard.chain).toHaveLength(2);

    await cluster.api(url, 'DELETE', '/v1/nodes/n2');
    const { nodes } = await cluster.api<{ nodes: NodeInfo[] }>(url, 'GET', '/v1/nodes');
    expect(nodes.map((n) => n.id).sort()).toEqual(['n1', 'n3', 'n4']);
    const missing = await cluster
      .api(url, 'POST', '/v1/nodes/nope/drain')
      .catch((e: { status: number }) => e);
    expect((missing as { status: number }).status).toBe(404);
  });

  it('leaves a joining node empty while balancing is switched off, and fills it once it is on', async () => {
    const { url } = await cluster.leader();
    await cluster.api(url, 'PUT', '/v1/config', { balance: false });
    await cluster.startNode('n5');
    await cluster.waitForNodes(4);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(load(await chains()).has('n5')).toBe(false);

    await cluster.api(url, 'PUT', '/v1/config', { balance: true });
    await waitFor(async () => (load(await chains()).get('n5') ?? 0) > 0, {
      description: 'n5 to receive replicas once balancing is back on',
      timeoutMs: 30_000,
    });
  });
});
