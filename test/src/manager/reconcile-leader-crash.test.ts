import type { StarClient } from '@star/client';
import type { Shard } from '@star/protocol';
import type { StarCluster } from '@star/testkit';
import { waitFor } from '@star/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient, journaledShard, startCluster, waitWritable } from './reconcile-support.js';

let cluster: StarCluster | undefined;
let client: StarClient | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await cluster?.stop();
  cluster = undefined;
});

/**
 * Issue 13 item 2: a leader that dies between the journal append and the config-key write leaves
 * the journal ahead of what the nodes run. The next leader must reconcile (republish and re-tell),
 * or the shard answers MisdirectedRequest forever.
 */
describe('reconciliation after a leader crash between journal append and publication', () => {
  it('makes the shard writable again under the next leader', async () => {
    cluster = await startCluster({ managers: 1, nodes: 3 });
    const c = cluster;
    const { url } = await c.leader();
    const { shards } = await c.api<{ shards: Shard[] }>(url, 'POST', '/v1/namespaces', {
      name: 'stuck',
      shards: 1,
      replicationFactor: 3,
    });
    const shard = shards[0]!;
    // m2, armed to die right after its next journal append, takes over; m1 comes back as standby.
    await c.startManager('m2', { STAR_FAILPOINTS: 'manager.after-journal-append=1*exit' });
    await c.managers.get('m1')!.process.stop(5_000);
    const first = await c.leader(20_000);
    expect(first.id).toBe('m2');
    await c.startManager('m1');
    client = await connectClient(c);
    await client.put('stuck', 'k', 'v1');
    const head = shard.chain[0]!;
    c.nodes.get(head)!.process.kill('SIGKILL');

    // The leader journals the chain without the head, then dies before publishing it.
    await waitFor(async () => !c.managers.get(first.id)!.process.isRunning(), {
      description: `leader ${first.id} to exit at the failpoint`,
      timeoutMs: 20_000,
    });
    const next = await c.leader(20_000);
    expect(next.id).not.toBe(first.id);
    const journaled = await journaledShard(c, shard.id);
    expect(journaled.chain).not.toContain(head);
    expect(journaled.term).toBeGreaterThan(shard.term);

    // Before the fix: no write was ever acknowledged (the nodes stayed at the old term).
    await waitWritable(client, 'stuck', 'k', 'v2', 30_000);
    expect(Buffer.from((await client.get('stuck', 'k')).value).toString()).toBe('v2');
  }, 120_000);
});
