import type { Shard } from '@star/protocol';
import { StarCluster, waitFor } from '@star/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { keyPath } from './gateway-fixture.js';

let cluster: StarCluster | undefined;
afterAll(async () => {
  await cluster?.stop();
});

/**
 * The gateway follows the shard map from whichever manager is up: after the leading manager is
 * killed and then a chain head, callers keep getting answers — no 5xx — and nothing acknowledged
 * is lost.
 */
describe('gateway through a manager failover and a node failure', () => {
  it('keeps serving without errors while the leading manager and then a chain head are killed', async () => {
    cluster = await StarCluster.start({ managers: 2, nodes: 4 });
    const c = cluster;
    await c.waitForNodes(4);
    const first = await c.leader();
    const { shards } = await c.api<{ shards: Shard[] }>(first.url, 'POST', '/v1/namespaces', {
      name: 'ha',
      shards: 2,
      replicationFactor: 3,
    });
    const gateway = await c.startGateway('g1');

    const errors: string[] = [];
    const acknowledged = new Map<string, string>();
    let running = true;
    const clients = Array.from({ length: 8 }, async (_, i) => {
      let n = 0;
      while (running) {
        const key = `key-${i}-${n % 5}`;
        const value = `v${++n}`;
        try {
          const put = await fetch(`${gateway.url}${keyPath('ha', key)}`, {
            method: 'PUT',
            body: value,
            headers: c.authHeaders,
            signal: AbortSignal.timeout(20_000),
          });
          if (put.status !== 200) errors.push(`PUT ${key}: ${put.status} ${await put.text()}`);
          else acknowledged.set(key, value);
          const get = await fetch(`${gateway.url}${keyPath('ha', key)}`, {
            headers: c.authHeaders,
            signal: AbortSignal.timeout(20_000),
          });
          const body = await get.text();
          if (get.status !== 200) errors.push(`GET ${key}: ${get.status} ${body}`);
          else if (put.status === 200 && body !== value) errors.push(`GET ${key}: ${body}, wrote ${value}`);
        } catch (error) {
          errors.push(`${key}: ${(error as Error).message}`);
        }
      }
    });

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    c.managers.get(first.id)!.process.kill('SIGKILL');
    const second = await waitFor(
      async () => {
        const leader = await c.leader(2_000).catch(() => undefined);
        return leader && leader.id !== first.id ? leader : undefined;
      },
      { description: 'the other manager to lead', timeoutMs: 15_000 },
    );
    const victim = shards[0]!.chain[0]!;
    c.nodes.get(victim)!.process.kill('SIGKILL');
    await waitFor(
      async () => {
        const now = await c.api<{ shards: Shard[] }>(second.url, 'GET', '/v1/shards');
        return now.shards.every((shard) => !shard.chain.includes(victim) && shard.chain.length === 3);
      },
      { description: 'chains rebuilt without the killed head', timeoutMs: 20_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    running = false;
    await Promise.all(clients);

    expect(errors).toEqual([]);
    expect(acknowledged.size).toBe(40);
    for (const [key, value] of acknowledged) {
      const response = await fetch(`${gateway.url}${keyPath('ha', key)}`, { headers: c.authHeaders });
      expect(await response.text(), key).toBe(value);
    }
  }, 120_000);
});
