import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogEntry } from '@star/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RecordMeta, RecordMetaCache } from './record-meta-cache.js';
import { openShardStore, type ShardStore } from './shard-store.js';

/** Just the metadata fields (the cache hands out its own slots, which hold more). */
function fields(meta: Readonly<RecordMeta> | null | undefined): RecordMeta | null | undefined {
  return meta == null
    ? meta
    : { version: meta.version, createdAt: meta.createdAt, modifications: meta.modifications };
}

describe('RecordMetaCache', () => {
  it('holds at most its capacity, dropping the oldest key, and overwrites only keys it holds', () => {
    const cache = new RecordMetaCache(2);
    const meta = (version: number) => ({ version, createdAt: 1, modifications: version });
    cache.remember('a', meta(1));
    cache.remember('b', null);
    const committed = (seq: number, key: string, op: 'put' | 'delete'): LogEntry => ({
      seq,
      term: 1,
      op,
      key,
      createdAt: 1,
      modifiedAt: seq,
      modifications: seq,
    });
    cache.committed(committed(3, 'c', 'put'));
    expect(cache.get('c')).toBeUndefined();
    cache.remember('c', meta(4));
    expect([cache.get('a'), cache.get('b'), fields(cache.get('c'))]).toEqual([undefined, null, meta(4)]);
    cache.committed(committed(5, 'b', 'put'));
    expect(fields(cache.get('b'))).toEqual(meta(5));
    cache.committed(committed(6, 'c', 'delete'));
    expect(cache.get('c')).toBeNull();
    cache.clear();
    expect(cache.size).toBe(0);
  });
});

describe('ShardStore.getRecordMeta with its cache', () => {
  let dir: string;
  const stores: ShardStore[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'star-meta-cache-'));
  });

  afterEach(() => {
    for (const store of stores.splice(0)) store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers exactly what the database holds through commits, deletes, truncation and commitFromLog', () => {
    // The same operations go to a store with a tiny cache (so it evicts and reloads) and one with none.
    const cached = openShardStore(join(dir, 'cached.sqlite'), { recordMetaCacheEntries: 4 });
    const reference = openShardStore(join(dir, 'reference.sqlite'), { recordMetaCacheEntries: 0 });
    stores.push(cached, reference);
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * n);
    };
    let seq = 0;
    const batch = (count: number): LogEntry[] =>
      Array.from({ length: count }, () => {
        seq++;
        const key = keys[random(keys.length)]!;
        return random(4) === 0
          ? { seq, term: 1, op: 'delete', key, createdAt: 5, modifiedAt: seq, modifications: seq }
          : {
              seq,
              term: 1,
              op: 'put',
              key,
              value: new Uint8Array([seq % 256]),
              createdAt: seq % 3,
              modifiedAt: seq,
              modifications: seq,
            };
      });
    const both = (step: (store: ShardStore) => void) => {
      step(cached);
      step(reference);
      // A few keys at a time, so the cache both hits and evicts.
      for (let i = 0; i < 3; i++) {
        const key = keys[random(keys.length)]!;
        expect(fields(cached.getRecordMeta(key))).toEqual(fields(reference.getRecordMeta(key)));
      }
    };

    for (let round = 0; round < 200; round++) {
      const entries = batch(1 + random(5));
      const mode = random(4);
      if (mode === 0) {
        both((store) => store.appendAndCommit(entries));
      } else if (mode === 1) {
        // Appended, then committed in two steps as acks arrive.
        both((store) => store.append(entries));
        const middle = entries[Math.floor(entries.length / 2)]!.seq;
        both((store) => store.commit(middle, entries));
        both((store) => store.commit(seq, entries));
      } else if (mode === 2) {
        // An uncommitted suffix is dropped again; its seqs are reused.
        both((store) => store.append(entries));
        both((store) => store.truncateAfter(store.commitSeq));
        seq = cached.lastSeq;
      } else {
        both((store) => store.append(entries));
        both((store) => store.commitFromLog());
      }
    }
    expect(cached.commitSeq).toBe(reference.commitSeq);
    expect(cached.commitSeq).toBeGreaterThan(200);
  });
});
