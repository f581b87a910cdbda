import { completeGrudge, waitFor } from '@star/testkit';
import { describe, expect, it } from 'vitest';
import { defaultFaultNetwork, FaultCluster } from './fault-cluster.js';

/**
 * Reproducers of what the partition nemeses found (docs/reliability.md, "What the partition
 * nemeses found"), each deterministic and on a cluster of its own (1 manager, 4 nodes, one shard
 * at RF 3: one spare node to join). Each failed before its fix (finding 1: the key read 404;
 * finding 2: the three members were marked dead after 8-10 s; finding 3: the key read 404, the
 * joiner left as the whole chain).
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
    // Chain faults: one redis-server keeps each cluster quick to start (the suite runs Sentinel).
    sentinel: false,
  });
}

/** PUTs `value` at `key` through the gateway; returns the key's URL. */
async function put(faults: FaultCluster, key: string, value: string): Promise<string> {
  const url = `${faults.gateway.url}/v1/namespaces/findings/keys/${key}`;
  const response = await fetch(url, {
    method: 'PUT',
    headers: { authorization: `Bearer ${faults.cluster.adminKey}` },
    body: value,
    signal: AbortSignal.timeout(10_000),
  });
  expect(response.status).toBe(200);
  return url;
}

/** The key's first answer that is not a 5xx (the chain may still be catching up). */
async function readAfterHeal(faults: FaultCluster, url: string): Promise<{ status: number; body: string }> {
  const headers = { authorization: `Bearer ${faults.cluster.adminKey}` };
  return waitFor(
    async () => {
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) }).catch(
        () => undefined,
      );
      if (response === undefined || response.status >= 500) return undefined;
      return { status: response.status, body: await response.text() };
    },
    { description: 'the key to be readable after the heal', timeoutMs: 30_000, intervalMs: 250 },
  );
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

  it('finding 3: a joiner that has not caught up is never left as the chain (before the fix: its members cut off after it joined were removed one by one, the joiner holding nothing was the chain, and the key read 404)', async () => {
    const faults = await startCluster();
    try {
      const lab = faults.requireLab('finding 3');
      const url = await put(faults, 'before-the-joiner', 'kept');
      const [shard] = await faults.shards();
      const [a, b, c] = shard!.chain as [string, string, string];
      const spare = faults.nodeIds.find((id) => !shard!.chain.includes(id))!;
      // b forwards nothing from here on: the joiner that will follow it cannot catch up.
      const point = `node.before-forward@${shard!.id}`;
      await faults.failpoints.arm(faults.node(b), point, 'pause');
      const others = (cut: string[]) => [...lab.hosts.keys()].filter((host) => !cut.includes(host));
      await lab.rules.partition(completeGrudge([[c], others([c])]));
      const joined = await waitFor(
        async () => {
          const [now] = await faults.shards();
          return now!.chain.join() === [a, b, spare].join() ? now : undefined;
        },
        { description: `${spare} to join after ${c} was removed`, timeoutMs: 20_000, intervalMs: 100 },
      );
      expect(joined.joining).toEqual([spare]);
      // Now the two members that hold the key are cut off too: the joiner is all the manager hears.
      await lab.rules.partition(completeGrudge([[a, b, c], others([a, b, c])]));
      await waitFor(
        async () => {
          const { nodes } = await faults.cluster.api<{ nodes: { id: string; state: string }[] }>(
            (await faults.cluster.leader()).url,
            'GET',
            '/v1/nodes',
          );
          return [a, b].every((id) => nodes.find((node) => node.id === id)?.state === 'dead');
        },
        { description: `${a} and ${b} to be marked dead`, timeoutMs: 20_000, intervalMs: 100 },
      );
      const [during] = await faults.shards();
      expect(during!.chain).toEqual([b, spare]);
      await faults.healNetwork();
      await faults.failpoints.disarm(faults.node(b), point);
      expect(await readAfterHeal(faults, url)).toEqual({ status: 200, body: 'kept' });
    } finally {
      await faults.stop();
    }
  }, 150_000);
});
