import { ManagerKeys } from '@star/protocol';
import { StarCluster, waitFor } from '@star/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { keyPath } from '../gateway/gateway-fixture.js';
import { parseLogLines } from '../log-lines.js';

let cluster: StarCluster | undefined;
afterAll(async () => {
  await cluster?.stop();
});

interface Outcome {
  at: number;
  ok: boolean;
  op: 'put' | 'get' | 'namespace';
  detail?: string;
}

/**
 * The control plane as a Sentinel topology (primary, two replicas, three sentinels): kill -9 the
 * Redis primary while clients write and read through the gateway and a client creates namespaces
 * (each a journal append). The cluster must serve again after Sentinel promotes a replica, the
 * values read back are the last acknowledged ones, and every namespace the manager acknowledged
 * (it acted on its journal entry) is in the new primary's journal.
 */
describe('a Redis primary killed under load (Sentinel failover)', () => {
  it('keeps serving after the failover and loses no journal entry that was acted on', async () => {
    cluster = await StarCluster.start({ managers: 2, nodes: 3, sentinel: {} });
    const c = cluster;
    const sentinel = c.sentinel!;
    await c.waitForNodes(3, 30_000);
    const { url } = await c.leader();
    await c.api(url, 'POST', '/v1/namespaces', { name: 'ha', shards: 2, replicationFactor: 3 });
    const gateway = await c.startGateway('g1');
    await waitFor(
      async () =>
        (
          await fetch(`${gateway.url}${keyPath('ha', 'probe')}`, {
            method: 'PUT',
            body: 'x',
            headers: c.authHeaders,
          })
        ).ok,
      { description: 'the gateway to serve', timeoutMs: 20_000 },
    );

    const outcomes: Outcome[] = [];
    const acknowledged = new Map<string, string>();
    const attempted = new Map<string, Set<string>>();
    const namespacesAcked: string[] = [];
    let running = true;
    const kv = Array.from({ length: 4 }, async (_, i) => {
      let n = 0;
      while (running) {
        const key = `key-${i}-${n % 4}`;
        const value = `v${i}-${++n}`;
        if (!attempted.has(key)) attempted.set(key, new Set());
        attempted.get(key)!.add(value);
        const headers = c.authHeaders;
        try {
          const put = await fetch(`${gateway.url}${keyPath('ha', key)}`, {
            method: 'PUT',
            body: value,
            headers,
            signal: AbortSignal.timeout(10_000),
          });
          outcomes.push({
            at: Date.now(),
            ok: put.ok,
            op: 'put',
            detail: put.ok ? undefined : `${put.status}`,
          });
          if (put.ok) acknowledged.set(key, value);
          const get = await fetch(`${gateway.url}${keyPath('ha', key)}`, {
            headers,
            signal: AbortSignal.timeout(10_000),
          });
          await get.text();
          outcomes.push({
            at: Date.now(),
            ok: get.ok,
            op: 'get',
            detail: get.ok ? undefined : `${get.status}`,
          });
        } catch (error) {
          outcomes.push({ at: Date.now(), ok: false, op: 'put', detail: (error as Error).message });
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    });
    const admin = (async () => {
      let n = 0;
      while (running) {
        const name = `ns${++n}`;
        try {
          const leader = await c.leader(5_000);
          await c.api(leader.url, 'POST', '/v1/namespaces', { name, shards: 1, replicationFactor: 1 });
          namespacesAcked.push(name);
          outcomes.push({ at: Date.now(), ok: true, op: 'namespace' });
        } catch (error) {
          outcomes.push({ at: Date.now(), ok: false, op: 'namespace', detail: (error as Error).message });
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    })();

    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const killedAt = Date.now();
    const killed = await sentinel.killPrimary();
    const promoted = await sentinel.waitForPromotion(killed);
    const promotedAt = Date.now();
    // Serving again: a successful write and read through the gateway after the promotion.
    await waitFor(
      () =>
        outcomes.some((o) => o.at > promotedAt && o.ok && o.op === 'put') &&
        outcomes.some((o) => o.at > promotedAt && o.ok && o.op === 'get'),
      { description: 'writes and reads to succeed after the failover', timeoutMs: 30_000 },
    );
    const servingAt = Date.now();
    await waitFor(() => outcomes.some((o) => o.at > servingAt && o.ok && o.op === 'namespace'), {
      description: 'the leader to journal again after the failover',
      timeoutMs: 30_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    running = false;
    await Promise.all([...kv, admin]);

    const after = outcomes.filter((o) => o.at > servingAt + 1_000);
    const failedAfter = after.filter((o) => !o.ok && o.op !== 'namespace');
    const failedDuring = outcomes.filter((o) => !o.ok && o.at >= killedAt && o.at <= servingAt).length;
    process.stderr.write(
      `sentinel failover: primary ${killed} -> ${promoted}, promotion ${promotedAt - killedAt} ms, ` +
        `serving again after ${servingAt - killedAt} ms, ${failedDuring} failed calls in between, ` +
        `${after.filter((o) => o.ok).length} ok and ${failedAfter.length} failed after\n`,
    );
    expect(after.filter((o) => o.ok).length).toBeGreaterThan(0);
    // Every manager and node noticed the new primary (and so treated its leases as unknown).
    for (const [id, service] of [...c.managers, ...c.nodes]) {
      const noticed = parseLogLines(service.process.logs()).some(
        (line) => line.msg === 'redis primary changed: lease state is unknown',
      );
      expect(noticed, `${id} noticed the primary change`).toBe(true);
    }
    expect(failedAfter.slice(0, 5)).toEqual([]);

    // No acknowledged write lost: each key holds its last acknowledged value or a later attempt.
    for (const [key, value] of acknowledged) {
      const response = await fetch(`${gateway.url}${keyPath('ha', key)}`, { headers: c.authHeaders });
      const body = await response.text();
      expect(response.status, key).toBe(200);
      const values = [...attempted.get(key)!];
      expect(values.indexOf(body), `${key}: read ${body}, last acknowledged ${value}`).toBeGreaterThanOrEqual(
        values.indexOf(value),
      );
    }

    // Every namespace the manager acknowledged is journaled on the new primary.
    const redis = sentinel.client();
    const journal = (await redis.xrange(ManagerKeys.journal, '-', '+')) as [string, string[]][];
    const journaled = new Set(
      journal.flatMap(([, fields]) => {
        const raw = fields[fields.indexOf('e') + 1];
        const entry = raw
          ? (JSON.parse(raw) as { type: string; data: { namespace?: { name: string } } })
          : undefined;
        return entry?.type === 'namespace.created' && entry.data.namespace ? [entry.data.namespace.name] : [];
      }),
    );
    expect(namespacesAcked.length).toBeGreaterThan(0);
    expect(namespacesAcked.filter((name) => !journaled.has(name))).toEqual([]);
  }, 180_000);
});
