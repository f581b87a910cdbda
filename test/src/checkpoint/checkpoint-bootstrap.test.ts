import { join } from 'node:path';
import { LinkClient } from '@star/core';
import {
  ChainMethods,
  CheckpointQueues,
  type GetResponse,
  LinkDefaults,
  type NodeInfo,
  type NodeStatus,
  type Shard,
} from '@star/protocol';
import { StarCluster, waitFor } from '@star/testkit';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metric, snapshots, waitForJob } from './checkpoint-helpers.js';

const KEYS = 50_000;
let cluster: StarCluster;
const links = new Map<string, LinkClient>();

beforeAll(async () => {
  cluster = await StarCluster.start({ managers: 1, nodes: 3, checkpointers: 1 });
  await cluster.waitForNodes(3);
  const { url } = await cluster.leader();
  await cluster.api(url, 'PUT', '/v1/config', { balance: false });
}, 120_000);
afterAll(async () => {
  for (const link of links.values()) link.close();
  await cluster?.stop();
});

async function linkTo(url: string, node: string): Promise<LinkClient> {
  let link = links.get(node);
  if (link === undefined) {
    const { nodes } = await cluster.api<{ nodes: NodeInfo[] }>(url, 'GET', '/v1/nodes');
    const address = nodes.find((n) => n.id === node)!.internalAddress;
    link = new LinkClient({ url: `ws://${address}${LinkDefaults.path}`, reconnectMaxDelayMs: 200 });
    links.set(node, link);
  }
  return link;
}

/** Live records of a replica's committed state, read from its SQLite file. */
function liveRecords(node: string, shard: number): { key: string; version: number; value: Buffer }[] {
  const db = new Database(join(cluster.dataDirOf(node), `shard-${shard}.sqlite`), { readonly: true });
  try {
    return db.prepare('SELECT key, version, value FROM kv WHERE deleted = 0 ORDER BY key').all() as {
      key: string;
      version: number;
      value: Buffer;
    }[];
  } finally {
    db.close();
  }
}

function logStart(node: string, shard: number): { trimmedSeq: number; logEntries: number } {
  const db = new Database(join(cluster.dataDirOf(node), `shard-${shard}.sqlite`), { readonly: true });
  try {
    const trimmedSeq = db.prepare("SELECT value FROM meta WHERE name = 'trimmedSeq'").pluck().get() as number;
    const logEntries = db.prepare('SELECT count(*) FROM log').pluck().get() as number;
    return { trimmedSeq: trimmedSeq ?? 0, logEntries };
  } finally {
    db.close();
  }
}

async function commitSeqOn(url: string, node: string, shard: number): Promise<number | undefined> {
  const status = await (await linkTo(url, node)).request<NodeStatus>(ChainMethods.status, {});
  return status.shards.find((s) => s.shard === shard)?.commitSeq;
}

describe('shard snapshots', () => {
  it('a replica replaced after a node failure on a 50,000-key shard bootstraps from a snapshot and matches the others', async () => {
    const { url } = await cluster.leader();
    const created = await cluster.api<{ shards: Shard[] }>(url, 'POST', '/v1/namespaces', {
      name: 'boot',
      shards: 1,
      replicationFactor: 2,
    });
    const shard = created.shards[0]!;
    const [head, tail] = shard.chain as [string, string];
    const spare = [...cluster.nodes.keys()].find((id) => !shard.chain.includes(id))!;
    const writer = await linkTo(url, head);
    const put = (key: string, value: string) =>
      writer.request(
        ChainMethods.put,
        { shard: shard.id, key, value: Buffer.from(value) },
        { timeoutMs: 30_000 },
      );

    // 50,000 keys, 500 writes in flight.
    for (let start = 0; start < KEYS; start += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, i) => put(`key-${start + i}`, `value-${start + i}`)));
    }
    const requested = await cluster.api<{ minSeq: number; job: { id: string } }>(
      url,
      'POST',
      '/v1/checkpoints/snapshots',
      { shard: shard.id },
    );
    expect(requested.minSeq).toBe(KEYS);
    await waitForJob(cluster, url, CheckpointQueues.shardSnapshots, requested.job.id);
    const [snapshot] = await snapshots(cluster, url, shard.id);
    expect(snapshot).toMatchObject({ shard: shard.id, node: tail });
    expect(snapshot!.seq).toBeGreaterThanOrEqual(KEYS);

    // Writes after the snapshot: the new replica must get these from its predecessor.
    for (let i = 0; i < 300; i++) await put(`late-${i}`, `late-${i}`);
    for (let i = 0; i < 100; i++) {
      await writer.request(ChainMethods.delete, { shard: shard.id, key: `key-${i}` }, { timeoutMs: 30_000 });
    }
    const headCommit = (await commitSeqOn(url, head, shard.id))!;
    expect(headCommit).toBe(snapshot!.seq + 400);

    // The tail dies; the manager chains around it and places a replacement on the spare node.
    cluster.nodes.get(tail)!.process.kill('SIGKILL');
    await waitFor(
      async () => {
        const current = await cluster.api<Shard>(url, 'GET', `/v1/shards/${shard.id}`);
        if (!current.chain.includes(spare)) return false;
        return (await commitSeqOn(url, spare, shard.id).catch(() => undefined)) === headCommit;
      },
      { description: `${spare} to join shard ${shard.id} and catch up`, timeoutMs: 60_000 },
    );

    // It bootstrapped from the snapshot: seeded once, its log starts after the snapshot's seq,
    // and it appended only the entries after it — not a copy of the whole log.
    const spareUrl = cluster.nodes.get(spare)!.url;
    expect(
      await metric(spareUrl, 'star_node_snapshot_installs_total', {
        shard: String(shard.id),
        reason: 'bootstrap',
      }),
    ).toBe(1);
    expect(await metric(spareUrl, 'star_node_append_batch_entries_sum')).toBe(headCommit - snapshot!.seq);
    expect(logStart(spare, shard.id)).toEqual({ trimmedSeq: snapshot!.seq, logEntries: 400 });

    // Its data matches the surviving replica's, record for record, and it serves reads.
    const expected = liveRecords(head, shard.id);
    expect(expected).toHaveLength(KEYS + 300 - 100);
    expect(liveRecords(spare, shard.id)).toEqual(expected);
    const reader = await linkTo(url, spare);
    for (const key of ['key-0', 'key-100', 'key-49999', 'late-299']) {
      const answer = await reader.request<GetResponse>(ChainMethods.get, { shard: shard.id, key });
      expect(answer.found).toBe(key !== 'key-0');
    }
  });
});
