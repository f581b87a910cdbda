import { completeGrudge, waitFor } from '@star/testkit';
import { describe, expect, it } from 'vitest';
import { defaultFaultNetwork, FaultCluster } from './fault-cluster.js';

/**
 * Reproducers of what the partition nemeses found (docs/reliability.md, "What the partition
 * nemeses found"), each deterministic and on a cluster of its own (1 manager, 4 nodes, one shard
 * at RF 3: one spare node to join). Both failed before their fixes (the key read 404; the three
 * members were marked dead after 8-10 s).
 */
const network = await defaultFaultNetwork();
const leaseMs = 1_500;
/** The manager's failure margin (STAR_DEAD_MARGIN_MS in StarCluster) and a second of slack. */
const detectWithinMs = leaseMs + 300 + 1_000;

function startCluster(): Promise<FaultCluster> {
  return FaultCluster.start({
    managers: 1,
    nodes: 4,
    shards: 1,
    replicationFactor: 3,
    namespace: 'findings',
    nodeLeaseMs: leaseMs,
    managerLeaseMs: leaseMs,
    network,
  });
}

/** Cuts the shard's three members off everything else (Redis, the manager, the spare, the gateway). */
async function cutChainOff(faults: FaultCluster): Promise<string[]> {
  const lab = faults.requireLab('partition findings');
  const [shard] = await faults.shards();
  const chain = shard!.chain;
  await lab.rules.partition(completeGrudge([chain, [...lab.hosts.keys()].filter((h) => !chain.includes(h))]));
  return chain;
}

describe.skipIf(network !== 'hosts')('partition findings (issue 14)', () => {
  it('finding 1: a chain cut off the control plane for 16 s keeps its acknowledged writes (before the fix: a joiner that never caught up was left as the only member, and the key read 404)', async () => {
    const faults = await startCluster();
    try {
      const url = `${faults.gateway.url}/v1/namespaces/findings/keys/before-the-cut`;
      const headers = { authorization: `Bearer ${faults.cluster.adminKey}` };
      const put = await fetch(url, {
        method: 'PUT',
        headers,
        body: 'kept',
        signal: AbortSignal.timeout(10_000),
      });
      expect(put.status).toBe(200);
      await cutChainOff(faults);
      // Long enough for the leader to remove all three members one by one (finding 2) and to add
      // the spare node as a joiner in between, while the members are cut off and it cannot copy.
      await new Promise((resolve) => setTimeout(resolve, 16_000));
      await faults.healNetwork();
      const read = await waitFor(
        async () => {
          const response = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) }).catch(
            () => undefined,
          );
          if (response === undefined || response.status >= 500) return undefined;
          return { status: response.status, body: await response.text() };
        },
        { description: 'the key to be readable after the heal', timeoutMs: 30_000, intervalMs: 250 },
      );
      expect(read).toEqual({ status: 200, body: 'kept' });
    } finally {
      await faults.stop();
    }
  }, 150_000);

  it('finding 2: the leader notices every member of a chain cut off the control plane within a lease plus the margin (before the fix: 8-10 s, one configure timeout of 3 s per member first)', async () => {
    const faults = await startCluster();
    try {
      const { url } = await faults.cluster.leader();
      const chain = await cutChainOff(faults);
      const started = performance.now();
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
      expect(performance.now() - started).toBeLessThan(detectWithinMs);
    } finally {
      await faults.stop();
    }
  }, 150_000);
});
