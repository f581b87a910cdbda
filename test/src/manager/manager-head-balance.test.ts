import { StarClient } from '@star/client';
import { type Shard, StarError } from '@star/protocol';
import { StarCluster, waitFor } from '@star/testkit';
import { afterEach, describe, expect, it } from 'vitest';

let cluster: StarCluster | undefined;
let client: StarClient | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await cluster?.stop();
  cluster = undefined;
});

/** How long after the last restart heads may take to even out (hand-overs run one path per check). */
const EVEN_WITHIN_MS = 30_000;

async function shards(c: StarCluster): Promise<Shard[]> {
  const { url } = await c.leader();
  return (await c.api<{ shards: Shard[] }>(url, 'GET', '/v1/shards')).shards;
}

function headsPerNode(all: Shard[], nodes: string[]): Map<string, number> {
  const heads = new Map(nodes.map((id) => [id, 0]));
  for (const shard of all) heads.set(shard.chain[0]!, (heads.get(shard.chain[0]!) ?? 0) + 1);
  return heads;
}

/**
 * A single writer's put-then-get loop: every get must see the value just put, and every error
 * must be one a retry can fix (the client retries those itself; what it gives up on is counted).
 */
function runWorkload(star: StarClient, signal: AbortSignal) {
  const stats = { ok: 0, retryable: 0, failures: [] as string[] };
  /** Per key, the values it may hold now: the last acknowledged put, and any unanswered since. */
  const possible = new Map<string, Set<string>>();
  const done = (async () => {
    for (let i = 0; !signal.aborted; i++) {
      const key = `k${i % 64}`;
      const value = `v${i}`;
      try {
        (possible.get(key) ?? possible.set(key, new Set()).get(key)!).add(value);
        await star.put('churn', key, value);
        possible.set(key, new Set([value]));
        const read = await star.get('churn', key);
        if (Buffer.from(read.value).toString() !== value) {
          stats.failures.push(`get ${key}: ${Buffer.from(read.value).toString()}, expected ${value}`);
        } else stats.ok++;
      } catch (error) {
        const failure = StarError.from(error);
        if (failure.retryable) stats.retryable++;
        else stats.failures.push(`${failure.code}: ${failure.message}`);
      }
    }
  })();
  return { stats, possible, done };
}

describe('head roles even out after churn', () => {
  it('kill -9 and restart each of 3 nodes in turn: heads end within one of even, writes never fail for good', async () => {
    cluster = await StarCluster.start({ managers: 1, nodes: 3 });
    const c = cluster;
    await c.waitForNodes(3);
    const { url } = await c.leader();
    await c.api(url, 'POST', '/v1/namespaces', { name: 'churn', shards: 12, replicationFactor: 3 });
    await c.api(url, 'POST', '/v1/namespaces', { name: 'second', shards: 3, replicationFactor: 3 });
    const nodeIds = [...c.nodes.keys()];
    console.info({ initialHeads: Object.fromEntries(headsPerNode(await shards(c), nodeIds)) });

    client = await StarClient.connect({ managers: c.managerUrls, apiKey: c.adminKey });
    const stop = new AbortController();
    const workload = runWorkload(client, stop.signal);
    try {
      for (const victim of nodeIds) {
        c.nodes.get(victim)!.process.kill('SIGKILL');
        await waitFor(async () => (await shards(c)).every((s) => !s.chain.includes(victim)), {
          description: `every chain without ${victim}`,
          timeoutMs: c.options.nodeLeaseMs + 15_000,
        });
        await c.startNode(victim);
        await waitFor(async () => (await shards(c)).every((s) => s.chain.length === 3), {
          description: `RF 3 restored after ${victim} rejoined`,
          timeoutMs: 30_000,
        });
        console.info({
          restarted: victim,
          heads: Object.fromEntries(headsPerNode(await shards(c), nodeIds)),
        });
      }

      const restoredAt = Date.now();
      let heads = new Map<string, number>();
      const even = await waitFor(
        async () => {
          heads = headsPerNode(await shards(c), nodeIds);
          const counts = [...heads.values()];
          return Math.max(...counts) - Math.min(...counts) <= 1;
        },
        { description: 'heads within one of even', timeoutMs: EVEN_WITHIN_MS },
      ).catch(() => false);
      console.info({ evenAfterMs: Date.now() - restoredAt, heads: Object.fromEntries(heads) });
      // Before the fix: every head on the node restarted first, e.g. { n1: 15, n2: 0, n3: 0 }.
      expect(Object.fromEntries(heads)).toEqual({ n1: 5, n2: 5, n3: 5 });
      expect(even).toBe(true);
      expect((await shards(c)).every((s) => s.chain.length === 3)).toBe(true);
    } finally {
      stop.abort();
      await workload.done;
    }
    // Writes and reads keep working after the hand-overs.
    await client.put('churn', 'after', 'balanced');
    expect(Buffer.from((await client.get('churn', 'after')).value).toString()).toBe('balanced');
    // Nothing acknowledged was lost by the failovers or the hand-overs (a reorder moves no data).
    for (const [key, values] of workload.possible) {
      const now = Buffer.from((await client.get('churn', key)).value).toString();
      expect([key, values.has(now) ? 'as written' : now]).toEqual([key, 'as written']);
    }
    console.info({ workload: { ...workload.stats, failures: workload.stats.failures.slice(0, 5) } });
    expect(workload.stats.failures).toEqual([]);
    expect(workload.stats.ok).toBeGreaterThan(100);
  }, 240_000);

  it('a node added to the cluster gets its share of heads once replicas moved onto it', async () => {
    cluster = await StarCluster.start({ managers: 1, nodes: 3 });
    const c = cluster;
    await c.waitForNodes(3);
    const { url } = await c.leader();
    await c.api(url, 'POST', '/v1/namespaces', { name: 'grow', shards: 8, replicationFactor: 2 });
    await c.startNode('n4');
    const nodeIds = ['n1', 'n2', 'n3', 'n4'];
    // Moves bring n4 its share of replicas (8 × 2 over 4 nodes: 4 each), always joining as tail.
    await waitFor(
      async () => {
        const all = await shards(c);
        return (
          all.filter((s) => s.chain.includes('n4')).length === 4 && all.every((s) => s.chain.length === 2)
        );
      },
      { description: 'n4 to hold its 4 replicas', timeoutMs: 60_000 },
    );
    let heads = new Map<string, number>();
    const even = await waitFor(
      async () => {
        heads = headsPerNode(await shards(c), nodeIds);
        return [...heads.values()].every((count) => count === 2);
      },
      { description: 'two heads on every node', timeoutMs: EVEN_WITHIN_MS },
    ).catch(() => false);
    console.info({ heads: Object.fromEntries(heads) });
    // Before the fix: n4 headed nothing (it joined every chain as tail).
    expect(Object.fromEntries(heads)).toEqual({ n1: 2, n2: 2, n3: 2, n4: 2 });
    expect(even).toBe(true);
  }, 180_000);
});
