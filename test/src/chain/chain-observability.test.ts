import { ChainKeys, ChainMethods, type NodeRegistration, type NodeStatus } from '@star/protocol';
import { ChainCluster } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SHARD = 6;
let cluster: ChainCluster;

beforeAll(async () => {
  cluster = await ChainCluster.start({ nodes: 2 });
  await cluster.configure(SHARD, ['n1', 'n2']);
  for (let i = 0; i < 20; i++) {
    await cluster
      .node('n1')
      .link.request(ChainMethods.put, { shard: SHARD, key: `k${i % 4}`, value: Buffer.from(`v${i}`) });
  }
  for (const id of ['n1', 'n2']) {
    await cluster.node(id).link.request(ChainMethods.get, { shard: SHARD, key: 'k1' });
  }
});
afterAll(async () => {
  await cluster.stop();
});

describe('chain node observability', () => {
  it('serves /status with shards, terms, roles, lastSeq and commitSeq', async () => {
    const status = (await (await fetch(`${cluster.node('n2').service.url}/status`)).json()) as NodeStatus;
    expect(status.node).toBe('n2');
    expect(status.leaseValidForMs).toBeGreaterThan(0);
    expect(status.shards).toEqual([
      { shard: SHARD, term: 1, role: 'tail', chain: ['n1', 'n2'], lastSeq: 20, commitSeq: 20, dirtyKeys: 0 },
    ]);
  });

  it('exports op latency, reads by kind, batch sizes and replication lag on /metrics', async () => {
    const head = await (await fetch(`${cluster.node('n1').service.url}/metrics`)).text();
    expect(head).toMatch(/star_node_op_duration_seconds_count\{[^}]*op="put"[^}]*outcome="ok"[^}]*\} 20/);
    expect(head).toMatch(/star_node_reads_total\{[^}]*kind="clean"[^}]*\} 1/);
    expect(head).toMatch(/star_node_append_batch_entries_count\{[^}]*\} \d+/);
    expect(head).toMatch(/star_node_replication_lag_entries\{[^}]*shard="6"[^}]*role="head"[^}]*\} 0/);
    const health = (await (await fetch(`${cluster.node('n1').service.url}/health`)).json()) as {
      checks: Record<string, { ok: boolean }>;
    };
    expect(Object.keys(health.checks).sort()).toEqual(['lease', 'redis', 'storage']);
  });

  it('announces each node in the control plane registry with its address and group', async () => {
    const registry = await cluster.redis.client().hgetall(ChainKeys.nodeRegistry);
    expect(Object.keys(registry).sort()).toEqual(['n1', 'n2']);
    const n1 = JSON.parse(registry.n1!) as NodeRegistration;
    expect(n1).toMatchObject({
      id: 'n1',
      address: cluster.node('n1').address,
      group: 'default',
      capacity: 1,
    });
  });
});
