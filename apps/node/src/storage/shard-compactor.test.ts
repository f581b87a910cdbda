import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogEntry } from '@star/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compactShard } from './shard-compactor.js';
import { prepareReplicaDatabase, readSnapshotPoint, ShardSnapshotter } from './shard-snapshot.js';
import { ShardStore } from './shard-store.js';

const dirs: string[] = [];
const stores: ShardStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function newStore(): { store: ShardStore; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'star-compact-'));
  dirs.push(dir);
  const store = ShardStore.open(join(dir, 'shard-1.sqlite'));
  stores.push(store);
  return { store, dir };
}

function put(seq: number, key: string, modifiedAt: number): LogEntry {
  return {
    seq,
    term: 1,
    op: 'put',
    key,
    value: Buffer.from(`v${seq}`),
    createdAt: 1,
    modifiedAt,
    modifications: 1,
  };
}
function del(seq: number, key: string, modifiedAt: number): LogEntry {
  return { seq, term: 1, op: 'delete', key, createdAt: 1, modifiedAt, modifications: 2 };
}

describe('compactShard', () => {
  it('drops old tombstones and old log entries up to the snapshot seq, keeping live records and newer history', async () => {
    const { store } = newStore();
    const entries: LogEntry[] = [];
    let seq = 0;
    // 3,000 keys written at t=1000, 2,000 of them deleted at t=2000, 10 more deleted at t=9000.
    for (let i = 0; i < 3_000; i++) entries.push(put(++seq, `k${i}`, 1_000));
    for (let i = 0; i < 2_000; i++) entries.push(del(++seq, `k${i}`, 2_000));
    for (let i = 2_000; i < 2_010; i++) entries.push(del(++seq, `k${i}`, 9_000));
    store.appendAndCommit(entries);
    expect(store.getVersion('k0')).toEqual({ version: 3_001, deleted: true });

    const result = await compactShard(store, { olderThanMs: 5_000, trimLogUpTo: 4_000, now: 10_000 });
    expect(result).toEqual({ tombstonesDropped: 2_000, logEntriesDropped: 4_000 });
    expect(store.getVersion('k0')).toBeUndefined();
    expect(store.getVersion('k2000')).toEqual({ version: 5_001, deleted: true });
    expect(store.getCommitted('k2999')?.value).toEqual(Buffer.from('v3000'));
    expect(store.countKeys()).toBe(990);
    expect(store.firstLogSeq).toBe(4_001);
    // Reads of what was dropped answer like a deleted key; the head's conditions likewise.
    expect(store.getCommitted('k0')).toBeUndefined();
  });

  it('lets writes through while it runs: each chunk is its own short transaction', async () => {
    const { store } = newStore();
    const entries: LogEntry[] = [];
    for (let i = 0; i < 20_000; i++) entries.push(put(i + 1, `k${i}`, 1));
    for (let i = 0; i < 20_000; i++) entries.push(del(20_001 + i, `k${i}`, 1));
    store.appendAndCommit(entries);
    let seq = store.lastSeq;
    let writesDuring = 0;
    let compacting = true;
    const writes = (async () => {
      while (compacting) {
        store.appendAndCommit([put(++seq, `new${seq}`, Date.now())]);
        writesDuring++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const result = await compactShard(store, { olderThanMs: 0, trimLogUpTo: 0 });
    compacting = false;
    await writes;
    expect(result.tombstonesDropped).toBe(20_000);
    // 20,000 tombstones in chunks of 500: writes ran between the chunks, not after them all.
    expect(writesDuring).toBeGreaterThanOrEqual(20);
    expect(store.countKeys()).toBe(writesDuring);
  });
});

describe('shard snapshots on a node', () => {
  it('keeps a snapshot being read when the wall clock steps forward past the idle expiry', async () => {
    const { store, dir } = newStore();
    store.appendAndCommit([put(1, 'a', 1)]);
    const snapshotter = new ShardSnapshotter(dir);
    const first = await snapshotter.take(1, store);
    await snapshotter.read(first.id, 0, 10);
    // Only the wall clock jumps (an NTP step, a VM resumed): no time passed for anyone reading it.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 60 * 60_000);
      await snapshotter.take(1, store);
      await expect(snapshotter.read(first.id, 0, 10)).resolves.toMatchObject({ eof: false });
    } finally {
      vi.useRealTimers();
      snapshotter.close();
    }
  });

  it('takes an online backup at the commit point and prepares it as a new replica starting after that seq', async () => {
    const { store, dir } = newStore();
    store.appendAndCommit([put(1, 'a', 1), put(2, 'b', 1)]);
    store.append([put(3, 'c', 1)]); // appended, not committed: not part of the snapshot's state
    const snapshotter = new ShardSnapshotter(dir);
    const taken = await snapshotter.take(1, store);
    expect(taken).toMatchObject({ shard: 1, seq: 2, term: 1 });
    const chunks: Buffer[] = [];
    for (let offset = 0; ; ) {
      const chunk = await snapshotter.read(taken.id, offset, 4096);
      chunks.push(Buffer.from(chunk.data));
      offset += chunk.data.byteLength;
      if (chunk.eof) break;
    }
    const copy = join(dir, 'copy.sqlite');
    writeFileSync(copy, Buffer.concat(chunks));
    snapshotter.release(taken.id);
    await expect(snapshotter.read(taken.id, 0, 10)).rejects.toMatchObject({ code: 'NotFound' });

    expect(readSnapshotPoint(copy)).toEqual({ seq: 2, term: 1 });
    expect(prepareReplicaDatabase(copy)).toEqual({ seq: 2, term: 1 });
    const seeded = ShardStore.open(copy);
    stores.push(seeded);
    expect([seeded.commitSeq, seeded.lastSeq, seeded.firstLogSeq, seeded.entryTerm(2)]).toEqual([2, 2, 3, 1]);
    expect(seeded.getCommitted('b')?.version).toBe(2);
    expect(seeded.getCommitted('c')).toBeUndefined();
    expect(seeded.loadConfig()).toBeUndefined();
    // It continues from its predecessor after the snapshot's seq.
    seeded.appendAndCommit([put(3, 'c', 1)]);
    expect(seeded.getCommitted('c')?.version).toBe(3);
  });
});
