import type { Shard } from '@star/protocol';
import { StarCluster, waitFor } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let cluster: StarCluster;

beforeAll(async () => {
  cluster = await StarCluster.start({ managers: 3, nodes: 3 });
  await cluster.waitForNodes(3);
  const { url } = await cluster.leader();
  await cluster.api(url, 'POST', '/v1/namespaces', { name: 'ha', shards: 4, replicationFactor: 2 });
});
afterAll(async () => {
  await cluster.stop();
});

async function dump(url: string): Promise<string> {
  const response = await fetch(`${url}/v1/cluster/dump`, { headers: cluster.authHeaders });
  return response.text();
}

function terms(dumpText: string): Map<number, number> {
  const { shards } = JSON.parse(dumpText) as { shards: Shard[] };
  return new Map(shards.map((shard) => [shard.id, shard.term]));
}

/** Journal entries in stream order with the fencing token each was written under. */
async function journalTokens(): Promise<number[]> {
  const entries = await cluster.redis.client().xrange('star:manager:journal', '-', '+');
  return entries.map(([, fields]) => Number(fields[fields.indexOf('t') + 1]));
}

describe('manager high availability', () => {
  it('followers hold the same state as the leader and redirect changes to it', async () => {
    const leader = await cluster.leader();
    const expected = await dump(leader.url);
    for (const [id, manager] of cluster.managers) {
      await waitFor(async () => (await dump(manager.url)) === expected, { description: `${id} to catch up` });
      if (id === leader.id) continue;
      const response = await fetch(`${manager.url}/v1/namespaces`, {
        method: 'POST',
        headers: { ...cluster.authHeaders, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'elsewhere', shards: 1, replicationFactor: 1 }),
      });
      expect(response.status).toBe(421);
      expect(response.headers.get('x-star-leader')).toBe(leader.url);
      expect(await response.json()).toMatchObject({
        code: 'MisdirectedRequest',
        details: { leader: leader.id },
      });
    }
  });

  it('elects another leader within seconds when the leader is killed, and terms never go backwards', async () => {
    const first = await cluster.leader();
    const before = terms(await dump(first.url));
    const killedAt = Date.now();
    cluster.managers.get(first.id)!.process.kill('SIGKILL');
    const second = await cluster.leader(10_000);
    expect(second.id).not.toBe(first.id);
    expect(Date.now() - killedAt).toBeLessThan(cluster.options.managerLeaseMs + 5_000);
    // The new leader works: it can create a namespace.
    await cluster.api(second.url, 'POST', '/v1/namespaces', {
      name: 'after-failover',
      shards: 1,
      replicationFactor: 2,
    });
    const after = terms(await dump(second.url));
    for (const [shard, term] of before) expect(after.get(shard)).toBeGreaterThanOrEqual(term);
    await cluster.startManager(first.id);
  });

  it('a paused leader resumes as a follower: it steps down and the journal never takes its old token again', async () => {
    const leader = await cluster.leader();
    const process = cluster.managers.get(leader.id)!.process;
    process.pause();
    const next = await cluster
      .leader(10_000)
      .then(async (found) => (found.id === leader.id ? cluster.leader(10_000) : found));
    expect(next.id).not.toBe(leader.id);
    await cluster.api(next.url, 'POST', '/v1/namespaces', {
      name: 'while-paused',
      shards: 1,
      replicationFactor: 2,
    });
    process.resume();

    const resumed = cluster.managers.get(leader.id)!;
    await waitFor(
      async () => {
        const view = await cluster.api<{ isLeader: boolean }>(resumed.url, 'GET', '/v1/leader');
        return !view.isLeader;
      },
      { description: 'the resumed manager to step down', timeoutMs: 5_000 },
    );
    const refused = await fetch(`${resumed.url}/v1/namespaces`, {
      method: 'POST',
      headers: { ...cluster.authHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'from-old-leader', shards: 1, replicationFactor: 1 }),
    });
    expect(refused.status).toBe(421);
    const tokens = await journalTokens();
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThanOrEqual(tokens[i - 1]!);
    const namespaces = await cluster.api<{ namespaces: { name: string }[] }>(
      next.url,
      'GET',
      '/v1/namespaces',
    );
    expect(namespaces.namespaces.map((n) => n.name)).not.toContain('from-old-leader');
  });

  it('a restarted manager rebuilds the identical state from the journal alone', async () => {
    const leader = await cluster.leader();
    const expected = await dump(leader.url);
    const follower = [...cluster.managers.keys()].find((id) => id !== leader.id)!;
    await cluster.managers.get(follower)!.process.stop();
    const restarted = await cluster.startManager(follower);
    expect(await dump(restarted.url)).toBe(expected);
  });
});
