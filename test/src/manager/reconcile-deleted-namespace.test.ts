import { ChainKeys, type Shard } from '@star/protocol';
import type { StarCluster } from '@star/testkit';
import { waitFor } from '@star/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster } from './reconcile-support.js';

let cluster: StarCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/**
 * Issue 13 item 2 (level-triggered): a leader that dies between journaling a namespace's deletion
 * and removing its shards' config keys leaves keys that name chains for shards the journal no
 * longer has. The next leader must remove them, whatever it was told.
 */
describe('reconciliation after a leader crash between a namespace deletion and its key removal', () => {
  it('the next leader removes the deleted shards’ config keys', async () => {
    cluster = await startCluster({ managers: 1, nodes: 3 });
    const c = cluster;
    const { url } = await c.leader();
    const { shards } = await c.api<{ shards: Shard[] }>(url, 'POST', '/v1/namespaces', {
      name: 'gone',
      shards: 2,
      replicationFactor: 3,
    });
    // m2, armed to die right after its next journal append, takes over; m1 comes back as standby.
    await c.startManager('m2', { STAR_FAILPOINTS: 'manager.after-journal-append=1*exit' });
    await c.managers.get('m1')!.process.stop(5_000);
    const first = await c.leader(20_000);
    expect(first.id).toBe('m2');
    await c.startManager('m1');

    const redis = c.redis.client();
    try {
      const keys = shards.map((shard) => ChainKeys.shardConfig(shard.id));
      expect(await redis.exists(...keys)).toBe(keys.length);
      await c.api(first.url, 'DELETE', '/v1/namespaces/gone').catch(() => undefined);
      await waitFor(async () => !c.managers.get(first.id)!.process.isRunning(), {
        description: `leader ${first.id} to exit at the failpoint`,
        timeoutMs: 20_000,
      });
      // The deletion is journaled; the keys were left behind.
      const next = await c.leader(20_000);
      expect(next.id).not.toBe(first.id);
      const { namespaces } = await c.api<{ namespaces: { name: string }[] }>(
        next.url,
        'GET',
        '/v1/namespaces',
      );
      expect(namespaces.map((n) => n.name)).not.toContain('gone');

      // Before the fix they stayed forever.
      await waitFor(async () => (await redis.exists(...keys)) === 0, {
        description: 'the next leader to remove the deleted shards’ config keys',
        timeoutMs: 15_000,
      });
    } finally {
      redis.disconnect();
    }
  }, 120_000);
});
