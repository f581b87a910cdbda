import { StarCluster, waitFor } from '@star/testkit';
import { afterAll, describe, expect, it } from 'vitest';

let cluster: StarCluster | undefined;
afterAll(async () => {
  await cluster?.stop();
});

/**
 * An append that reached the Redis primary but no replica: the manager that wrote it answers 503
 * (its WAIT failed) and acts on nothing, but every manager's journal tail applied it from the
 * primary. Then the primary dies and Sentinel promotes a replica without the entry. A manager
 * whose state still holds it would act on a namespace the journal does not have (and refuse its
 * creation as a conflict); each one must notice the new primary and rebuild from its journal.
 */
describe('a manager state that applied an entry the failover lost', () => {
  it('is rebuilt from the new primary: the lost namespace is gone everywhere and can be created', async () => {
    cluster = await StarCluster.start({ managers: 2, nodes: 1, sentinel: {} });
    const c = cluster;
    const sentinel = c.sentinel!;
    await c.waitForNodes(1, 30_000);
    const leader = await c.leader();

    // Cut the replicas off: paused, and their links from the primary closed (a paused replica
    // would otherwise still read what sits in its socket buffer once resumed).
    const primary = await sentinel.primary();
    const replicas = [...sentinel.servers.values()].filter((server) => server.port !== primary.port);
    for (const replica of replicas) replica.pause();
    const admin = primary.client();
    await admin.call('CLIENT', 'KILL', 'TYPE', 'replica');
    admin.disconnect();

    const ghost = await c
      .api(leader.url, 'POST', '/v1/namespaces', { name: 'ghost', shards: 1, replicationFactor: 1 })
      .then(
        () => 200,
        (error: { status?: number }) => error.status ?? 0,
      );
    // Not acknowledged: no replica holds it.
    expect(ghost).toBe(503);
    const names = async (url: string) =>
      (await c.api<{ namespaces: { name: string }[] }>(url, 'GET', '/v1/namespaces')).namespaces.map(
        (n) => n.name,
      );
    // Yet every manager's tail applied it from the primary.
    await waitFor(
      async () => (await Promise.all(c.managerUrls.map(names))).every((list) => list.includes('ghost')),
      {
        description: 'the managers to apply the unreplicated entry',
        timeoutMs: 10_000,
      },
    );

    await primary.kill();
    for (const replica of replicas) replica.resume();
    await sentinel.waitForPromotion(primary.port);

    await waitFor(
      async () => (await Promise.all(c.managerUrls.map(names))).every((list) => !list.includes('ghost')),
      {
        description: "every manager to drop the namespace the new primary's journal lacks",
        timeoutMs: 20_000,
      },
    );
    const next = await c.leader(30_000);
    await waitFor(
      () =>
        c.api(next.url, 'POST', '/v1/namespaces', { name: 'ghost', shards: 1, replicationFactor: 1 }).then(
          () => true,
          (error: { status?: number }) => {
            if (error.status === 409) throw new Error('409: the leader still holds the lost namespace');
            return false;
          },
        ),
      { description: 'the namespace to be created for real', timeoutMs: 20_000 },
    );
  }, 120_000);
});
