import { completeGrudge, waitFor } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFaultNetwork, FaultCluster } from './fault-cluster.js';

/**
 * Reproducers of what the partition nemeses found (docs/reliability.md, "What the partition
 * nemeses found"), each small and deterministic. `it.fails` marks a finding not fixed yet: the test
 * passes while the bug is there and fails once it is fixed; then turn it into a plain `it`.
 */
const network = await defaultFaultNetwork();
const leaseMs = 1_500;
/** The manager's failure margin (STAR_DEAD_MARGIN_MS in StarCluster) and a second of slack. */
const detectWithinMs = leaseMs + 300 + 1_000;

describe.skipIf(network !== 'hosts')('partition findings (issue 14)', () => {
  let faults: FaultCluster;

  beforeAll(async () => {
    faults = await FaultCluster.start({
      managers: 1,
      nodes: 4,
      shards: 1,
      replicationFactor: 3,
      namespace: 'findings',
      nodeLeaseMs: leaseMs,
      managerLeaseMs: leaseMs,
      network,
    });
  }, 90_000);

  afterAll(async () => {
    await faults?.stop();
  });

  it.fails('finding 2: the leader notices every member of a chain cut off the control plane within a lease plus the margin (today: one configure timeout of 3 s per member first)', async () => {
    const [shard] = await faults.shards();
    const chain = shard!.chain;
    const lab = faults.requireLab('finding 2');
    const rest = [...lab.hosts.keys()].filter((host) => !chain.includes(host));
    const { url } = await faults.cluster.leader();
    await lab.rules.partition(completeGrudge([chain, rest]));
    const started = performance.now();
    try {
      await waitFor(
        async () => {
          const { nodes } = await faults.cluster.api<{ nodes: { id: string; state: string }[] }>(
            url,
            'GET',
            '/v1/nodes',
          );
          return chain.every((id) => nodes.find((node) => node.id === id)?.state === 'dead');
        },
        { description: `the leader to mark ${chain.join(', ')} dead`, timeoutMs: 20_000, intervalMs: 50 },
      );
    } finally {
      await lab.heal();
    }
    expect(performance.now() - started).toBeLessThan(detectWithinMs);
  }, 60_000);
});
