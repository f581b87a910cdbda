import { StarClient } from '@star/client';
import { LinkClient } from '@star/core';
import { ChainMethods, type NodeStatus, type Shard, StarError, type WriteResult } from '@star/protocol';
import { canMountTmpfs, cleanupStaleTmpfs, SizedTmpfs, StarCluster, waitFor } from '@star/testkit';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * Issue 14 item 5: a node whose data directory runs out of space (a size-limited tmpfs) refuses
 * writes with a typed error, never corrupts a replica, is chained around while it cannot persist,
 * and serves again once space returns.
 */
const NODE_LEASE_MS = 1_500;
const TMPFS_BYTES = 48 * 1024 * 1024;
const NAMESPACE = 'full';

let cluster: StarCluster | undefined;
let tmpfs: SizedTmpfs | undefined;
const clients: StarClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  // The node on the tmpfs goes first, so the mount is free to go before the cluster removes its dir.
  const n1 = cluster?.nodes.get('n1');
  if (n1?.process.isRunning()) {
    n1.process.kill('SIGKILL');
    await n1.process.exited;
  }
  tmpfs?.unmount();
  tmpfs = undefined;
  await cluster?.stop();
  cluster = undefined;
});

async function shardsOf(c: StarCluster): Promise<Shard[]> {
  const { url } = await c.leader();
  return (await c.api<{ shards: Shard[] }>(url, 'GET', `/v1/shards?namespace=${NAMESPACE}`)).shards;
}

describe('a node out of disk space', () => {
  it('refuses writes with InsufficientStorage, is chained around, corrupts nothing, and serves again when space returns', async () => {
    if (!canMountTmpfs('the disk-full test')) return;
    cleanupStaleTmpfs();
    cluster = await StarCluster.start({ managers: 1, nodes: 0, nodeLeaseMs: NODE_LEASE_MS });
    const c = cluster;
    tmpfs = SizedTmpfs.mount(c.dataDirOf('n1'), TMPFS_BYTES);
    await Promise.all(['n1', 'n2', 'n3'].map((id) => c.startNode(id)));
    await c.waitForNodes(3);
    const { url } = await c.leader();
    await c.api(url, 'POST', '/v1/namespaces', { name: NAMESPACE, shards: 3, replicationFactor: 3 });
    const client = await StarClient.connect({
      managers: c.managerUrls,
      apiKey: c.adminKey,
      clientName: 'full',
    });
    clients.push(client);
    // The new leader's start-up lease wait: no reconfiguration happens before it passed.
    await new Promise((resolve) => setTimeout(resolve, NODE_LEASE_MS + 500));
    const acknowledged = new Map<string, string>();
    const put = async (key: string, value: string) => {
      await client.put(NAMESPACE, key, value);
      acknowledged.set(key, value);
    };
    for (let i = 0; i < 30; i++) await put(`before-${i}`, `v${i}`);

    const headed = (await shardsOf(c)).find((shard) => shard.chain[0] === 'n1');
    expect(headed, 'n1 heads a shard').toBeDefined();
    tmpfs.fill();
    // Straight at n1 as the head: big values, so the WAL must grow within a few writes.
    const link = new LinkClient({ url: `ws://127.0.0.1:${c.nodes.get('n1')!.port}/v1/link` });
    let refusal: StarError | undefined;
    try {
      for (let i = 0; i < 40 && refusal === undefined; i++) {
        await link
          .request<WriteResult>(
            ChainMethods.put,
            { shard: headed!.id, key: `direct-${i}`, value: Buffer.alloc(256 * 1024, i) },
            { timeoutMs: 5_000 },
          )
          .catch((error: unknown) => {
            refusal = StarError.from(error);
          });
      }
    } finally {
      link.close();
    }
    expect(refusal?.code, `refused with ${refusal?.code}: ${refusal?.message}`).toBe('InsufficientStorage');
    expect(refusal?.status).toBe(507);
    expect(c.nodes.get('n1')!.process.isRunning(), 'n1 keeps running').toBe(true);

    // Writes to every shard go on: the manager chains around n1 (its lease renewal stopped).
    for (let i = 0; i < 30; i++) await put(`during-${i}`, `w${i}`);
    await waitFor(async () => (await shardsOf(c)).every((shard) => !shard.chain.includes('n1')), {
      description: 'n1 out of every chain',
      timeoutMs: 15_000,
    });
    const status = await c.api<NodeStatus>(c.nodes.get('n1')!.url, 'GET', '/status');
    expect(status.leaseValidForMs).toBe(0);

    // Space returns: n1 renews its lease again and re-enters its chains, caught up.
    tmpfs.release();
    await waitFor(async () => (await shardsOf(c)).every((shard) => shard.chain.length === 3), {
      description: 'n1 back in every chain',
      timeoutMs: 30_000,
    });
    for (let i = 0; i < 10; i++) await put(`after-${i}`, `x${i}`);
    for (const [key, value] of acknowledged) {
      const record = await client.get(NAMESPACE, key);
      expect(Buffer.from(record.value).toString(), key).toBe(value);
    }
    await waitFor(
      async () => {
        const shards = await shardsOf(c);
        const n1 = await c.api<NodeStatus>(c.nodes.get('n1')!.url, 'GET', '/status');
        return shards.every((shard) => n1.shards.find((s) => s.shard === shard.id)?.term === shard.term);
      },
      { description: 'n1 at every chain term', timeoutMs: 15_000 },
    );
    // Nothing on n1 is corrupt: every shard database passes SQLite's integrity check.
    const n1 = c.nodes.get('n1')!;
    n1.process.kill('SIGKILL');
    await n1.process.exited;
    for (const shard of await shardsOf(c)) {
      const db = new Database(`${c.dataDirOf('n1')}/shard-${shard.id}.sqlite`, { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        db.close();
      }
    }
  }, 120_000);
});
