import type { Shard } from '@star/protocol';
import { HistoryRecorder, type RunningService, StarCluster, waitFor } from '@star/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { expectLinearizable } from '../chain/chain-assertions.js';
import { keyPath } from './gateway-fixture.js';

let cluster: StarCluster | undefined;
afterAll(async () => {
  await cluster?.stop();
});

interface Outcomes {
  ok: number;
  preconditionFailed: number;
  serverErrors: string[];
  acknowledged: Map<string, number>;
}

/**
 * 32 HTTP clients read and (conditionally) write a few keys through the gateway while the shard's
 * head is killed: the history must be linearizable, nothing acknowledged lost, and no request may
 * end in a 5xx — the gateway retries what a retry can fix within its deadline.
 */
describe('linearizability through the gateway', () => {
  it('stays linearizable with no 5xx while the head of the chain is killed', async () => {
    cluster = await StarCluster.start({ managers: 1, nodes: 4 });
    const c = cluster;
    await c.waitForNodes(4);
    const { url } = await c.leader();
    const { shards } = await c.api<{ shards: Shard[] }>(url, 'POST', '/v1/namespaces', {
      name: 'reg',
      shards: 1,
      replicationFactor: 3,
    });
    const shard = shards[0]!;
    const gateway = await c.startGateway('g1');

    const history = new HistoryRecorder();
    const outcomes: Outcomes = { ok: 0, preconditionFailed: 0, serverErrors: [], acknowledged: new Map() };
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const deadline = Date.now() + 12_000;
    const clients = Array.from({ length: 32 }, (_, i) =>
      runClient(`c${i}`, gateway, c.authHeaders, keys, deadline, history, outcomes),
    );

    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const head = shard.chain[0]!;
    c.nodes.get(head)!.process.kill('SIGKILL');
    await waitFor(
      async () => {
        const now = await c.api<{ shards: Shard[] }>(url, 'GET', '/v1/shards');
        const current = now.shards.find((s) => s.id === shard.id)!;
        return !current.chain.includes(head) && current.chain.length === 3;
      },
      { description: 'the chain rebuilt without the killed head', timeoutMs: 15_000 },
    );
    await Promise.all(clients);
    console.info({
      ok: outcomes.ok,
      preconditionFailed: outcomes.preconditionFailed,
      serverErrors: outcomes.serverErrors.length,
    });

    expect(outcomes.serverErrors).toEqual([]);
    expect(outcomes.ok).toBeGreaterThan(500);
    expectLinearizable(history);
    for (const [key, version] of outcomes.acknowledged) {
      const response = await fetch(`${gateway.url}${keyPath('reg', key)}`, { headers: c.authHeaders });
      expect(response.status, key).toBe(200);
      expect(Number(response.headers.get('x-star-version')), key).toBeGreaterThanOrEqual(version);
    }
  }, 120_000);
});

async function runClient(
  client: string,
  gateway: RunningService,
  auth: Record<string, string>,
  keys: string[],
  deadline: number,
  history: HistoryRecorder,
  outcomes: Outcomes,
): Promise<void> {
  const versions = new Map<string, number>();
  let sequence = 0;
  const call = async (method: string, key: string, headers: Record<string, string>, body?: string) => {
    try {
      const response = await fetch(`${gateway.url}${keyPath('reg', key)}`, {
        method,
        headers: { ...auth, ...headers },
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      if (response.status >= 500) outcomes.serverErrors.push(`${method} ${key}: ${response.status} ${text}`);
      return { status: response.status, text, version: Number(response.headers.get('x-star-version') ?? 0) };
    } catch (error) {
      outcomes.serverErrors.push(`${method} ${key}: ${(error as Error).message}`);
      return { status: 0, text: '', version: 0 };
    }
  };

  while (Date.now() < deadline) {
    const key = keys[Math.floor(Math.random() * keys.length)]!;
    const roll = Math.random();
    if (roll < 0.5) {
      const op = history.invoke(client, key, 'read', {});
      const response = await call('GET', key, {});
      if (response.status === 200) op.ok({ value: response.text, version: response.version });
      else if (response.status === 404) op.ok({ value: null });
      else op.fail();
      if (response.status === 200 || response.status === 404) outcomes.ok++;
      continue;
    }
    const value = `${client}-${++sequence}`;
    const isCas = roll >= 0.75;
    const expected = versions.get(key) ?? 0;
    const headers: Record<string, string> = !isCas
      ? {}
      : expected === 0
        ? { 'if-none-match': '*' }
        : { 'if-match': `"${expected}"` };
    const op = isCas
      ? history.invoke(
          client,
          key,
          'cas',
          expected === 0 ? { value, mustNotExist: true } : { value, expectedVersion: expected },
        )
      : history.invoke(client, key, 'write', { value });
    const response = await call('PUT', key, headers, value);
    if (response.status === 200) {
      const { version } = JSON.parse(response.text) as { version: number };
      op.ok({ version });
      versions.set(key, version);
      outcomes.acknowledged.set(key, Math.max(outcomes.acknowledged.get(key) ?? 0, version));
      outcomes.ok++;
    } else if (response.status === 412) {
      op.fail();
      outcomes.preconditionFailed++;
      const current = (JSON.parse(response.text) as { details?: { version?: number } }).details?.version;
      if (typeof current === 'number') versions.set(key, current);
    } else {
      // No definite answer: the write may or may not have been applied.
      op.info();
    }
  }
}
