import { ChainMethods, type GetResponse, type WriteResult } from '@star/protocol';
import { ChainCluster, waitFor } from '@star/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const SHARD = 3;
let cluster: ChainCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

function put(c: ChainCluster, key: string, value: string, requestId: number) {
  return c
    .node('n1')
    .link.request<WriteResult>(
      ChainMethods.put,
      { shard: SHARD, key, value: Buffer.from(value), clientId: 'recovery', requestId },
      { timeoutMs: 20_000 },
    );
}

describe('node crash and restart', () => {
  it('recovers log and state from disk after kill -9 and rejoins its chain through the handshake', async () => {
    cluster = await ChainCluster.start({ nodes: 3 });
    const c = cluster;
    await c.configure(SHARD, ['n1', 'n2', 'n3']);
    for (let i = 1; i <= 200; i++) await put(c, `k${i % 20}`, `before-${i}`, i);
    const before = await c.status('n2');
    expect(before.shards[0]).toMatchObject({ lastSeq: 200, commitSeq: 200, role: 'middle' });

    c.node('n2').service.process.kill('SIGKILL');
    await c.node('n2').service.process.exited;
    // With the middle node down, writes cannot commit: they wait (and must not be lost).
    const pending = Array.from({ length: 50 }, (_, i) => put(c, `k${i % 20}`, `during-${i}`, 1_000 + i));
    await new Promise((resolve) => setTimeout(resolve, 500));

    await c.startNode('n2');
    // A new incarnation takes no part at a term it held before (DESIGN §3.14): it reopened its log
    // and state from disk, and waits for a newer configuration.
    expect((await c.status('n2')).shards[0]).toMatchObject({ term: 1, role: 'none', lastSeq: 200 });
    // The controller re-enters it with a term bump, as the tail, as the manager does.
    await c.configure(SHARD, ['n1', 'n3', 'n2']);
    const results = await Promise.all(pending);
    expect(results.map((r) => r.version)).toEqual(Array.from({ length: 50 }, (_, i) => 201 + i));

    // n2 caught up through the handshake and holds everything again.
    await waitFor(async () => (await c.status('n2')).shards[0]!.commitSeq === 250, {
      description: 'n2 to commit everything',
      timeoutMs: 10_000,
    });
    const after = await c.status('n2');
    expect(after.shards[0]).toMatchObject({ term: 2, role: 'tail', lastSeq: 250, commitSeq: 250 });
    const read = await c.node('n2').link.request<GetResponse>(ChainMethods.get, { shard: SHARD, key: 'k9' });
    expect(read.found && Buffer.from(read.value).toString()).toBe('during-49');

    // A retry of a write acknowledged before the crash is answered from the log, not applied again.
    const retried = await put(c, 'k1', 'before-1', 1);
    expect(retried.version).toBe(1);
    expect((await c.status('n1')).shards[0]!.lastSeq).toBe(250);
  }, 120_000);

  it('lets a new, empty tail join and catch up from its predecessor', async () => {
    cluster = await ChainCluster.start({ nodes: 4 });
    const c = cluster;
    await c.configure(SHARD, ['n1', 'n2', 'n3']);
    for (let i = 1; i <= 300; i++) await put(c, `k${i % 30}`, `v-${i}`, i);
    await c.configure(SHARD, ['n1', 'n2', 'n3', 'n4']);
    await waitFor(async () => (await c.status('n4')).shards[0]?.lastSeq === 300, {
      description: 'n4 to catch up',
      timeoutMs: 10_000,
    });
    const read = await c.node('n4').link.request<GetResponse>(ChainMethods.get, { shard: SHARD, key: 'k0' });
    expect(read.found && Buffer.from(read.value).toString()).toBe('v-300');
    const write = await put(c, 'k0', 'after-join', 301);
    expect(write.version).toBe(301);
    expect((await c.status('n4')).shards[0]).toMatchObject({ role: 'tail', commitSeq: 301 });
  }, 120_000);

  it('applies a retried write once across a head change', async () => {
    cluster = await ChainCluster.start({ nodes: 3 });
    const c = cluster;
    await c.configure(SHARD, ['n1', 'n2', 'n3']);
    const body = { shard: SHARD, key: 'once', value: Buffer.from('v'), clientId: 'retrier', requestId: 7 };
    const first = await c.node('n1').link.request<WriteResult>(ChainMethods.put, body);

    c.node('n1').service.process.kill('SIGKILL');
    await c.node('n1').service.process.exited;
    await c.waitForLeaseExpiry('n1');
    await c.configure(SHARD, ['n2', 'n3']);
    // The client never saw the answer, say, and retries at the new head with the same request id.
    const retried = await c.node('n2').link.request<WriteResult>(ChainMethods.put, body);
    expect(retried).toEqual(first);
    const status = await c.status('n2');
    expect(status.shards[0]).toMatchObject({ lastSeq: 1, commitSeq: 1 });
    // A new request id is a new write.
    const next = await c.node('n2').link.request<WriteResult>(ChainMethods.put, { ...body, requestId: 8 });
    expect(next.version).toBe(2);
    expect(next.modifications).toBe(2);
  }, 60_000);
});
