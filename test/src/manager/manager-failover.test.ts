import type { Shard } from '@star/protocol';
import { HistoryRecorder, StarCluster, waitFor } from '@star/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { expectLinearizable, expectNoLostWrites } from '../chain/chain-assertions.js';
import { runRegisterWorkload } from '../chain/chain-workload.js';
import { ManagedTarget } from './managed-target.js';

let cluster: StarCluster | undefined;
let target: ManagedTarget | undefined;
afterEach(async () => {
  target?.stop();
  await cluster?.stop();
  cluster = undefined;
  target = undefined;
});

describe('node failure under the manager', () => {
  it('reconfigures around a killed node, restores RF 3 and stays linearizable with nothing lost', async () => {
    cluster = await StarCluster.start({ managers: 2, nodes: 4 });
    const c = cluster;
    await c.waitForNodes(4);
    const { url } = await c.leader();
    const { shards } = await c.api<{ shards: Shard[] }>(url, 'POST', '/v1/namespaces', {
      name: 'registers',
      shards: 2,
      replicationFactor: 3,
    });
    target = new ManagedTarget(c);
    await target.start();
    const shard = shards[0]!;
    const victim = shard.chain[1]!;

    const history = new HistoryRecorder();
    const workload = runRegisterWorkload(target, history, {
      shard: shard.id,
      keys: ['a', 'b', 'c', 'd', 'e', 'f'],
      clients: 16,
      durationMs: 12_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const killedAt = Date.now();
    c.nodes.get(victim)!.process.kill('SIGKILL');

    // Within the lease plus a few seconds every chain holding the victim is rebuilt without it.
    await waitFor(
      async () => {
        await target!.refresh();
        return shards.every((s) => {
          const now = target!.shard(s.id)!;
          return (
            !now.chain.includes(victim) &&
            now.chain.length === 3 &&
            (!s.chain.includes(victim) || now.term > s.term)
          );
        });
      },
      { description: 'chains rebuilt without the killed node', timeoutMs: c.options.nodeLeaseMs + 8_000 },
    );
    const recoveredInMs = Date.now() - killedAt;
    const stats = await workload;
    console.info({ victim, recoveredInMs, stats: { ...stats, acknowledged: stats.acknowledged.size } });

    expect(stats.ok).toBeGreaterThan(300);
    expectLinearizable(history);
    await expectNoLostWrites(target, shard.id, stats);
    const leader = await c.leader();
    const nodes = await c.api<{ nodes: { id: string; state: string }[] }>(leader.url, 'GET', '/v1/nodes');
    expect(nodes.nodes.find((n) => n.id === victim)?.state).toBe('dead');

    // The node comes back with its old terms: it is brought up to date, not trusted.
    await c.startNode(victim);
    await waitFor(
      async () => {
        const view = await c.api<{ nodes: { id: string; state: string }[] }>(leader.url, 'GET', '/v1/nodes');
        return view.nodes.find((n) => n.id === victim)?.state === 'alive';
      },
      { description: `${victim} to be alive again`, timeoutMs: 10_000 },
    );
    const status = await c.api<{ shards: { shard: number; term: number; role: string }[] }>(
      c.nodes.get(victim)!.url,
      'GET',
      '/status',
    );
    const current = target.shard(shard.id)!;
    const seen = status.shards.find((s) => s.shard === shard.id)!;
    expect(seen.term).toBeGreaterThanOrEqual(current.term);
    if (!current.chain.includes(victim)) expect(seen.role).toBe('none');
  }, 90_000);
});
