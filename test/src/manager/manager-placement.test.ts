import { once } from 'node:events';
import type { Shard } from '@star/protocol';
import { StarCluster } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

let cluster: StarCluster;

beforeAll(async () => {
  cluster = await StarCluster.start({ managers: 1, nodes: 4 });
  await cluster.waitForNodes(4);
});
afterAll(async () => {
  await cluster.stop();
});

describe('namespace creation', () => {
  it('tiles the hash space exactly and places 8 shards × RF 3 evenly over 4 nodes', async () => {
    const { url } = await cluster.leader();
    const created = await cluster.api<{ shards: Shard[] }>(url, 'POST', '/v1/namespaces', {
      name: 'orders',
      shards: 8,
      replicationFactor: 3,
    });
    const shards = created.shards.sort((a, b) => a.hashRange.min - b.hashRange.min);
    expect(shards).toHaveLength(8);
    expect(shards[0]!.hashRange.min).toBe(0);
    expect(shards.at(-1)!.hashRange.max).toBe(0xffffffff);
    for (let i = 1; i < shards.length; i++)
      expect(shards[i]!.hashRange.min).toBe(shards[i - 1]!.hashRange.max + 1);

    const load = new Map<string, number>();
    for (const shard of shards) {
      expect(new Set(shard.chain).size).toBe(3);
      expect(shard.term).toBe(1);
      for (const node of shard.chain) load.set(node, (load.get(node) ?? 0) + 1);
    }
    expect(load.size).toBe(4);
    expect(Math.max(...load.values()) - Math.min(...load.values())).toBeLessThanOrEqual(1);

    // Every member of every chain received its configuration.
    for (const shard of shards) {
      for (const node of shard.chain) {
        const status = await cluster.api<{ shards: { shard: number; term: number; chain: string[] }[] }>(
          cluster.nodes.get(node)!.url,
          'GET',
          '/status',
        );
        expect(status.shards.find((s) => s.shard === shard.id)).toMatchObject({
          term: 1,
          chain: shard.chain,
        });
      }
    }
  });

  it('refuses bad namespaces with clear 4xx errors and journals nothing', async () => {
    const { url } = await cluster.leader();
    const before = await cluster.api<{ entries: number }>(url, 'GET', '/v1/cluster/status');
    const attempts: [unknown, number, RegExp][] = [
      [{ name: 'bad name!', shards: 2, replicationFactor: 1 }, 400, /name/],
      [{ name: 'zero', shards: 0, replicationFactor: 1 }, 400, /shards/],
      [
        { name: 'toowide', shards: 2, replicationFactor: 5 },
        400,
        /replication factor 5 needs 5 alive nodes, but only 4/,
      ],
      [{ name: 'orders', shards: 2, replicationFactor: 1 }, 409, /already exists/],
    ];
    for (const [body, status, message] of attempts) {
      const error = await cluster
        .api(url, 'POST', '/v1/namespaces', body)
        .catch((e: { status: number; body: string }) => e);
      expect((error as { status: number }).status).toBe(status);
      expect((error as { body: string }).body).toMatch(message);
    }
    const missing = await cluster.api(url, 'GET', '/v1/namespaces/nope').catch((e: { status: number }) => e);
    expect((missing as { status: number }).status).toBe(404);
    const after = await cluster.api<{ entries: number }>(url, 'GET', '/v1/cluster/status');
    expect(after.entries).toBe(before.entries);
  });

  it('describes its API in OpenAPI generated from the route schemas', async () => {
    const { url } = await cluster.leader();
    const spec = await cluster.api<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      url,
      'GET',
      '/openapi.json',
    );
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/v1/namespaces',
        '/v1/namespaces/{name}',
        '/v1/nodes/{id}/drain',
        '/v1/config',
      ]),
    );
    expect(spec.paths['/v1/namespaces']).toHaveProperty('post');
  });

  it('exports leader state, journal length, node states and replicas per node on /metrics', async () => {
    const { url } = await cluster.leader();
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/star_manager_is_leader\{[^}]*\} 1/);
    expect(metrics).toMatch(/star_manager_journal_length\{[^}]*\} [1-9]\d*/);
    expect(metrics).toMatch(/star_manager_nodes\{[^}]*state="alive"[^}]*\} 4/);
    expect(metrics).toMatch(/star_manager_node_replicas\{[^}]*node="n1"[^}]*\} 6/);
  });

  it('serializes concurrent conflicting admin calls: one create wins, the other gets 409', async () => {
    const { url } = await cluster.leader();
    const create = () =>
      fetch(`${url}/v1/namespaces`, {
        method: 'POST',
        headers: { ...cluster.authHeaders, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'race', shards: 2, replicationFactor: 2 }),
      }).then((response) => response.status);
    const statuses = await Promise.all([create(), create(), create()]);
    expect(statuses.sort()).toEqual([201, 409, 409]);
    const { shards } = await cluster.api<{ shards: Shard[] }>(url, 'GET', '/v1/namespaces/race');
    expect(shards).toHaveLength(2);
  });

  it('streams the shard map on /v1/assignments: the whole map first, then each change with its version', async () => {
    const { url } = await cluster.leader();
    const socket = new WebSocket(`${url.replace('http', 'ws')}/v1/assignments`, {
      headers: cluster.authHeaders,
    });
    const messages: { type: string; version: string; shards?: Shard[]; entry?: string }[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await once(socket, 'open');
    await expect.poll(() => messages.length).toBeGreaterThan(0);
    const [snapshot] = messages;
    expect(snapshot).toMatchObject({ type: 'snapshot' });
    expect(snapshot!.shards!.length).toBeGreaterThanOrEqual(8);
    await cluster.api(url, 'POST', '/v1/namespaces', { name: 'streamed', shards: 1, replicationFactor: 1 });
    await expect
      .poll(() => messages.some((m) => m.type === 'change' && m.entry === 'namespace.created'))
      .toBe(true);
    const change = messages.find((m) => m.entry === 'namespace.created')!;
    expect(change.version > snapshot!.version).toBe(true);
    socket.close();
  });
});
