import { ManagerKeys } from '@star/protocol';
import { type RunningService, StarCluster, waitFor } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyPath } from '../gateway/gateway-fixture.js';
import { parseLogLines } from '../log-lines.js';

interface Outcome {
  at: number;
  ok: boolean;
  op: 'put' | 'get' | 'namespace';
  detail?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Load while a fault hits the Redis primary: four clients write and read keys through the gateway,
 * one creates namespaces through the leading manager (each a journal append the manager acts on
 * only once acknowledged). `fault` returns once Sentinel promoted a replica.
 */
async function underLoad(
  c: StarCluster,
  gateway: RunningService,
  prefix: string,
  fault: () => Promise<void>,
): Promise<{
  outcomes: Outcome[];
  acknowledged: Map<string, string>;
  attempted: Map<string, string[]>;
  namespaces: string[];
  faultAt: number;
  servingAt: number;
}> {
  const outcomes: Outcome[] = [];
  const acknowledged = new Map<string, string>();
  const attempted = new Map<string, string[]>();
  const namespaces: string[] = [];
  const headers = c.authHeaders;
  let running = true;
  const record = (op: Outcome['op'], ok: boolean, detail?: string) =>
    outcomes.push({ at: Date.now(), ok, op, ...(detail === undefined ? {} : { detail }) });
  const kv = Array.from({ length: 4 }, async (_, i) => {
    for (let n = 1; running; n++) {
      const key = `${prefix}-${i}-${n % 4}`;
      const value = `v${i}-${n}`;
      attempted.set(key, [...(attempted.get(key) ?? []), value]);
      try {
        const put = await fetch(`${gateway.url}${keyPath('ha', key)}`, {
          method: 'PUT',
          body: value,
          headers,
          signal: AbortSignal.timeout(10_000),
        });
        record('put', put.ok, put.ok ? undefined : `${put.status} ${await put.text()}`);
        if (put.ok) acknowledged.set(key, value);
        const get = await fetch(`${gateway.url}${keyPath('ha', key)}`, {
          headers,
          signal: AbortSignal.timeout(10_000),
        });
        const body = await get.text();
        record('get', get.ok, get.ok ? undefined : `${get.status} ${body}`);
      } catch (error) {
        record('put', false, (error as Error).message);
        await sleep(100);
      }
    }
  });
  const admin = (async () => {
    for (let n = 1; running; n++) {
      const name = `${prefix}${n}`;
      try {
        const leader = await c.leader(5_000);
        await c.api(leader.url, 'POST', '/v1/namespaces', { name, shards: 1, replicationFactor: 1 });
        namespaces.push(name);
        record('namespace', true);
      } catch (error) {
        record('namespace', false, (error as Error).message);
        await sleep(200);
      }
    }
  })();
  await sleep(3_000);
  const faultAt = Date.now();
  await fault();
  const promotedAt = Date.now();
  const since = (at: number, op: Outcome['op']) => outcomes.some((o) => o.at > at && o.ok && o.op === op);
  await waitFor(() => since(promotedAt, 'put') && since(promotedAt, 'get'), {
    description: 'writes and reads through the gateway to succeed after the failover',
    timeoutMs: 30_000,
  });
  const servingAt = Date.now();
  await waitFor(() => since(servingAt, 'namespace'), {
    description: 'the leader to journal again after the failover',
    timeoutMs: 30_000,
  });
  await sleep(3_000);
  running = false;
  await Promise.all([...kv, admin]);
  return { outcomes, acknowledged, attempted, namespaces, faultAt, servingAt };
}

/** The names of every namespace.created entry in the journal of the current primary. */
async function journaledNamespaces(c: StarCluster): Promise<Set<string>> {
  const redis = c.sentinel!.client();
  const journal = (await redis.xrange(ManagerKeys.journal, '-', '+')) as [string, string[]][];
  redis.disconnect();
  return new Set(
    journal.flatMap(([, fields]) => {
      const raw = fields[fields.indexOf('e') + 1];
      const entry = raw
        ? (JSON.parse(raw) as { type: string; data: { namespace?: { name: string } } })
        : undefined;
      return entry?.type === 'namespace.created' && entry.data.namespace ? [entry.data.namespace.name] : [];
    }),
  );
}

async function checkRun(
  c: StarCluster,
  gateway: RunningService,
  label: string,
  run: Awaited<ReturnType<typeof underLoad>>,
) {
  const { outcomes, faultAt, servingAt } = run;
  const after = outcomes.filter((o) => o.at > servingAt + 1_000 && o.op !== 'namespace');
  const failedDuring = outcomes.filter((o) => !o.ok && o.at >= faultAt && o.at <= servingAt).length;
  process.stderr.write(
    `${label}: serving again ${servingAt - faultAt} ms after the fault, ${failedDuring} failed calls in between, ` +
      `${after.filter((o) => o.ok).length} ok and ${after.filter((o) => !o.ok).length} failed after; ` +
      `${run.namespaces.length} namespaces acknowledged\n`,
  );
  expect(after.filter((o) => o.ok).length).toBeGreaterThan(0);
  expect(after.filter((o) => !o.ok).slice(0, 5)).toEqual([]);
  // No acknowledged write lost: each key holds its last acknowledged value or a later attempt.
  for (const [key, value] of run.acknowledged) {
    const response = await fetch(`${gateway.url}${keyPath('ha', key)}`, { headers: c.authHeaders });
    const body = await response.text();
    expect(response.status, key).toBe(200);
    const values = run.attempted.get(key)!;
    expect(values.indexOf(body), `${key}: read ${body}, last acknowledged ${value}`).toBeGreaterThanOrEqual(
      values.indexOf(value),
    );
  }
  // Every namespace a manager acknowledged (it acted on the entry) is journaled on the new primary.
  const journaled = await journaledNamespaces(c);
  expect(run.namespaces.length).toBeGreaterThan(0);
  expect(run.namespaces.filter((name) => !journaled.has(name))).toEqual([]);
}

/**
 * The control plane as a Sentinel topology (a primary, two replicas, three sentinels) under load
 * through the gateway. First the primary is paused (SIGSTOP) until the sentinels promote a replica
 * and then resumed: a minority primary that still takes writes until Sentinel demotes it. Then
 * the primary is killed (-9). Each time the cluster serves again, no acknowledged write is lost and
 * every namespace a manager acknowledged is in the new primary's journal.
 */
describe('the Redis primary failing under load (Sentinel failover)', () => {
  let cluster: StarCluster;
  let gateway: RunningService;

  beforeAll(async () => {
    cluster = await StarCluster.start({ managers: 2, nodes: 3, sentinel: {} });
    await cluster.waitForNodes(3, 30_000);
    const { url } = await cluster.leader();
    await cluster.api(url, 'POST', '/v1/namespaces', { name: 'ha', shards: 2, replicationFactor: 3 });
    gateway = await cluster.startGateway('g1');
    const c = cluster;
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
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a paused primary (a minority that resumes and takes writes until demoted) loses nothing acted on', async () => {
    const sentinel = cluster.sentinel!;
    const run = await underLoad(cluster, gateway, 'paused', async () => {
      const paused = await sentinel.pausePrimary();
      try {
        await sentinel.waitForPromotion(paused.port);
      } finally {
        paused.resume();
      }
      await waitFor(async () => (await sentinel.roleOf(paused.port)) === 'slave', {
        description: 'the resumed old primary to be demoted',
        timeoutMs: 30_000,
        intervalMs: 200,
      });
    });
    await checkRun(cluster, gateway, 'paused primary', run);
  }, 120_000);

  it('a killed primary: the cluster serves again and every manager and node noticed the new primary', async () => {
    const sentinel = cluster.sentinel!;
    const run = await underLoad(cluster, gateway, 'killed', async () => {
      const killed = await sentinel.killPrimary();
      await sentinel.waitForPromotion(killed);
    });
    await checkRun(cluster, gateway, 'killed primary', run);
    for (const [id, service] of [...cluster.managers, ...cluster.nodes]) {
      const noticed = parseLogLines(service.process.logs()).some(
        (line) => line.msg === 'redis primary changed: lease state is unknown',
      );
      expect(noticed, `${id} noticed the primary change`).toBe(true);
    }
  }, 120_000);
});
