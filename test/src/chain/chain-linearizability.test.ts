import { ChainCluster, HistoryRecorder } from '@star/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { expectLinearizable, expectNoLostWrites } from './chain-assertions.js';
import { chainClusterTarget, runRegisterWorkload } from './chain-workload.js';

const SHARD = 1;
const KEYS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
let cluster: ChainCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('3-node chain under a concurrent register workload', () => {
  it('stays linearizable with 32 clients reading from every replica for 10 seconds', async () => {
    cluster = await ChainCluster.start({ nodes: 3 });
    await cluster.configure(SHARD, ['n1', 'n2', 'n3']);
    const history = new HistoryRecorder();
    const stats = await runRegisterWorkload(chainClusterTarget(cluster), history, {
      shard: SHARD,
      keys: KEYS,
      clients: 32,
      durationMs: 10_000,
    });
    expect(stats.ok).toBeGreaterThan(1_000);
    expect(stats.writes + stats.cas).toBeGreaterThan(300);
    expectLinearizable(history);
    await expectNoLostWrites(chainClusterTarget(cluster), SHARD, stats);
  }, 120_000);

  it('stays linearizable and loses no acknowledged write while head, middle and tail are killed in turn', async () => {
    cluster = await ChainCluster.start({ nodes: 3 });
    const c = cluster;
    await c.configure(SHARD, ['n1', 'n2', 'n3']);
    const history = new HistoryRecorder();
    const faults: string[] = [];

    /** kill -9 a member, wait out its lease, chain around it, restart it and add it back as tail. */
    async function killAndRejoin(victim: string): Promise<void> {
      const before = c.configs.get(SHARD)!.chain.map((m) => m.id);
      c.node(victim).service.process.kill('SIGKILL');
      await c.node(victim).service.process.exited;
      await c.waitForLeaseExpiry(victim);
      const without = before.filter((id) => id !== victim);
      await c.configure(SHARD, without);
      faults.push(`killed ${victim} (${before.join('→')} ⇒ ${without.join('→')})`);
      await new Promise((resolve) => setTimeout(resolve, 800));
      await c.startNode(victim);
      await c.configure(SHARD, [...without, victim]);
      // The rejoined tail catches up through the handshake before it counts as recovered.
      await c.waitFor(
        async () => {
          const tail = await c.status(victim);
          const head = await c.status(without[0]!);
          return tail.shards[0]!.lastSeq >= head.shards[0]!.commitSeq;
        },
        { description: `${victim} to catch up`, timeoutMs: 20_000 },
      );
      faults.push(`restarted ${victim} as tail (${[...without, victim].join('→')})`);
    }

    const workload = runRegisterWorkload(chainClusterTarget(c), history, {
      shard: SHARD,
      keys: KEYS,
      clients: 32,
      durationMs: 22_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await killAndRejoin('n1'); // the head
    const middle = () => c.configs.get(SHARD)!.chain[1]!.id;
    await killAndRejoin(middle());
    const tail = () => c.configs.get(SHARD)!.chain.at(-1)!.id;
    await killAndRejoin(tail());
    const stats = await workload;
    console.info(faults.join('\n'), stats);

    expect(faults).toHaveLength(6);
    expect(stats.ok).toBeGreaterThan(500);
    expectLinearizable(history);
    await expectNoLostWrites(chainClusterTarget(c), SHARD, stats);
  }, 180_000);
});
