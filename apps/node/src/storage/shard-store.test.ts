import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChainConfig, LogEntry } from '@star/protocol';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogTrimmedError, openShardStore, type ShardStore } from './shard-store.js';

let dir: string;
let path: string;
const open: ShardStore[] = [];

function openStore(options: Parameters<typeof openShardStore>[1] = {}): ShardStore {
  const store = openShardStore(path, options);
  open.push(store);
  return store;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'star-shard-store-'));
  path = join(dir, 'shard-7.sqlite');
});

afterEach(() => {
  for (const store of open.splice(0)) store.close();
  rmSync(dir, { recursive: true, force: true });
});

const bytes = (text: string) => new TextEncoder().encode(text);

function put(seq: number, key: string, value: Uint8Array | string, extra: Partial<LogEntry> = {}): LogEntry {
  return {
    seq,
    term: 1,
    op: 'put',
    key,
    value: typeof value === 'string' ? bytes(value) : value,
    createdAt: 1000,
    modifiedAt: 1000 + seq,
    modifications: 1,
    ...extra,
  };
}

function del(seq: number, key: string, extra: Partial<LogEntry> = {}): LogEntry {
  return {
    seq,
    term: 1,
    op: 'delete',
    key,
    createdAt: 1000,
    modifiedAt: 1000 + seq,
    modifications: 2,
    ...extra,
  };
}

/** Appends and commits `entries` as one batch. */
function write(store: ShardStore, entries: LogEntry[]): void {
  store.append(entries);
  store.commit(entries[entries.length - 1]!.seq, entries);
}

function puts(from: number, count: number, term = 1): LogEntry[] {
  return Array.from({ length: count }, (_, i) => put(from + i, `k${from + i}`, `v${from + i}`, { term }));
}

describe('ShardStore', () => {
  it('starts empty in WAL mode with synchronous NORMAL, or FULL on request', () => {
    const store = openStore();
    expect([store.lastSeq, store.lastTerm, store.commitSeq, store.firstLogSeq]).toEqual([0, 0, 0, 1]);
    expect(store.settings()).toEqual({
      journalMode: 'wal',
      synchronous: 'NORMAL',
      cacheKiB: 16384,
      mmapBytes: 0,
    });
    expect(store.entryTerm(0)).toBe(0);
    expect(store.entryTerm(1)).toBeUndefined();
    store.close();
    expect(openStore({ synchronous: 'FULL', cacheKiB: 4096 }).settings()).toMatchObject({
      synchronous: 'FULL',
      cacheKiB: 4096,
    });
  });

  it('round-trips binary values, empty values and content types through append and commit', () => {
    const store = openStore();
    const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const backing = Uint8Array.from([9, 9, 1, 2, 3, 9, 9]);
    const view = backing.subarray(2, 5);
    const entries = [
      put(1, 'bin', allBytes, { contentType: 'application/octet-stream' }),
      put(2, 'empty', new Uint8Array(0)),
      put(3, 'view', view, { contentType: 'text/plain; charset=utf-8' }),
      put(4, 'ünï/😀', 'unicode key'),
    ];
    store.append(entries);
    expect([store.lastSeq, store.lastTerm, store.commitSeq]).toEqual([4, 1, 0]);
    expect(store.getCommitted('bin')).toBeUndefined();

    store.commit(4, entries);
    expect(store.commitSeq).toBe(4);
    const bin = store.getCommitted('bin')!;
    expect(Buffer.from(bin.value).equals(Buffer.from(allBytes))).toBe(true);
    expect(bin).toMatchObject({ key: 'bin', version: 1, contentType: 'application/octet-stream' });
    const empty = store.getCommitted('empty')!;
    expect(empty.value.byteLength).toBe(0);
    expect(empty.contentType).toBeUndefined();
    expect([...store.getCommitted('view')!.value]).toEqual([1, 2, 3]);
    expect(store.getCommitted('view')!.contentType).toBe('text/plain; charset=utf-8');
    expect(Buffer.from(store.getCommitted('ünï/😀')!.value).toString()).toBe('unicode key');
    expect(store.getCommitted('missing')).toBeUndefined();

    expect(store.readLog(0, 2).map((e) => e.seq)).toEqual([1, 2]);
    expect(store.readLog(5, 2)).toEqual([]);
    const log = store.readLog(1, 10);
    expect(log).toHaveLength(4);
    expect([...log[0]!.value!]).toEqual([...allBytes]);
    expect(log[1]!.value!.byteLength).toBe(0);
    expect(log[2]).toEqual({ ...entries[2], value: Buffer.from([1, 2, 3]) });
  });

  it('stores the metadata the entries carry and turns deletes into tombstones', () => {
    const store = openStore();
    write(store, [put(1, 'a', 'one', { createdAt: 500, modifiedAt: 500, modifications: 1 })]);
    write(store, [
      put(2, 'a', 'two', { createdAt: 500, modifiedAt: 700, modifications: 2 }),
      put(3, 'b', 'x'),
    ]);
    expect(store.getCommitted('a')).toEqual({
      key: 'a',
      value: Buffer.from('two'),
      version: 2,
      createdAt: 500,
      modifiedAt: 700,
      modifications: 2,
    });
    expect(store.getVersion('a')).toEqual({ version: 2, deleted: false });
    expect(store.countKeys()).toBe(2);

    write(store, [del(4, 'a', { createdAt: 500, modifiedAt: 900, modifications: 3 })]);
    expect(store.getCommitted('a')).toBeUndefined();
    expect(store.getVersion('a')).toEqual({ version: 4, deleted: true });
    expect(store.getVersion('never')).toBeUndefined();
    expect(store.countKeys()).toBe(1);
    expect(store.scan({ limit: 10 }).map((r) => r.key)).toEqual(['b']);
    expect(store.readLog(4, 1)).toEqual([del(4, 'a', { createdAt: 500, modifiedAt: 900, modifications: 3 })]);

    write(store, [
      put(5, 'a', 'back', { createdAt: 950, modifiedAt: 950, modifications: 1, contentType: 't' }),
    ]);
    expect(store.getCommitted('a')).toMatchObject({
      version: 5,
      createdAt: 950,
      modifications: 1,
      contentType: 't',
    });
  });

  it('rejects a batch that does not continue the log and stores none of it', () => {
    const store = openStore();
    write(store, puts(1, 3, 2));
    const bad: Array<[string, LogEntry[]]> = [
      ['gap at start', puts(5, 2, 2)],
      ['overlap', puts(3, 2, 2)],
      ['gap inside', [put(4, 'x', 'x', { term: 2 }), put(6, 'y', 'y', { term: 2 })]],
      ['older term', [put(4, 'x', 'x', { term: 1 })]],
      ['term going down', [put(4, 'x', 'x', { term: 3 }), put(5, 'y', 'y', { term: 2 })]],
      ['put without value', [{ ...put(4, 'x', 'x', { term: 2 }), value: undefined }]],
    ];
    for (const [what, entries] of bad) {
      expect(() => store.append(entries), what).toThrow(/append: .*nothing stored/);
    }
    // A batch that fails inside SQLite (NOT NULL key at its third entry) rolls back as a whole.
    const failing = [...puts(4, 2, 2), { ...put(6, 'x', 'x', { term: 2 }), key: null as unknown as string }];
    expect(() => store.append(failing)).toThrow(/NOT NULL/);
    expect([store.lastSeq, store.lastTerm]).toEqual([3, 2]);
    expect(store.readLog(1, 100).map((e) => e.seq)).toEqual([1, 2, 3]);
    store.close();
    const reopened = openStore();
    expect([reopened.lastSeq, reopened.lastTerm, reopened.commitSeq]).toEqual([3, 2, 3]);
    expect(reopened.readLog(1, 100).map((e) => e.seq)).toEqual([1, 2, 3]);
    reopened.append(puts(4, 1, 3));
    expect([reopened.lastSeq, reopened.lastTerm]).toEqual([4, 3]);
  });

  it('checks commit points and the entries given to commit', () => {
    const store = openStore();
    const entries = puts(1, 5);
    store.append(entries);
    expect(() => store.commit(6, entries)).toThrow(/beyond lastSeq 5/);
    expect(() => store.commit(3, entries.slice(1))).toThrow(/expected entry 1 but got 2/);
    expect(() => store.commit(3, entries.slice(0, 2))).toThrow(/entries 3\.\.3 are missing/);
    expect(() => store.commit(2, [entries[0]!, { ...entries[1]!, term: 9 }])).toThrow(/log holds term 1/);
    expect(store.commitSeq).toBe(0);
    expect(store.getCommitted('k1')).toBeUndefined();

    // Entries outside (commitSeq, uptoSeq] are ignored.
    store.commit(2, entries);
    expect(store.commitSeq).toBe(2);
    expect(store.getCommitted('k3')).toBeUndefined();
    expect(() => store.commit(1, entries)).toThrow(/below commitSeq 2/);
    store.commit(2, []); // no-op at the current commit point
    store.commit(4, entries);
    expect(store.getCommitted('k4')?.version).toBe(4);
    expect(store.getCommitted('k5')).toBeUndefined();
    expect(store.uncommittedEntries()).toEqual([{ ...entries[4], value: Buffer.from('v5') }]);
  });

  it('appends and commits a batch in one transaction for a tail', () => {
    const store = openStore();
    store.appendAndCommit([put(1, 'a', 'x', { clientId: 'c', requestId: 9 }), put(2, 'b', 'y')]);
    expect([store.lastSeq, store.commitSeq]).toEqual([2, 2]);
    expect(store.getCommitted('b')?.version).toBe(2);
    expect(store.lookupRequest('c', 9)?.version).toBe(1);
    const failing = [put(3, 'c', 'z'), { ...put(4, 'd', 'w'), key: null as unknown as string }];
    expect(() => store.appendAndCommit(failing)).toThrow(/NOT NULL/);
    expect([store.lastSeq, store.commitSeq]).toEqual([2, 2]);
    expect(store.getCommitted('c')).toBeUndefined();
    expect(() => store.appendAndCommit([put(4, 'c', 'z')])).toThrow(/expected seq 3/);
    store.append([put(3, 'c', 'z')]);
    expect(() => store.appendAndCommit([put(4, 'd', 'w')])).toThrow(/entries 3\.\.3 are not committed/);
    store.close();
    const reopened = openStore();
    expect([reopened.lastSeq, reopened.commitSeq]).toEqual([3, 2]);
    expect(reopened.getCommitted('a')?.value).toEqual(Buffer.from('x'));
  });

  it('recovers lastSeq, lastTerm, commitSeq, config and uncommitted entries after reopening', () => {
    const store = openStore();
    const config: ChainConfig = {
      shard: 7,
      term: 3,
      chain: [
        { id: 'n1', address: '127.0.0.1:7001' },
        { id: 'n2', address: '127.0.0.1:7002' },
      ],
    };
    expect(store.loadConfig()).toBeUndefined();
    store.saveConfig(config);
    write(store, puts(1, 3, 2));
    const pending = [
      put(4, 'k1', 'new', { term: 3, clientId: 'c', requestId: 1 }),
      del(5, 'k2', { term: 3 }),
    ];
    store.append(pending);
    store.close();

    const reopened = openStore();
    expect([reopened.lastSeq, reopened.lastTerm, reopened.commitSeq]).toEqual([5, 3, 3]);
    expect(reopened.loadConfig()).toEqual(config);
    expect(reopened.uncommittedEntries()).toEqual([{ ...pending[0], value: Buffer.from('new') }, pending[1]]);
    expect(reopened.getCommitted('k1')?.version).toBe(1);
    expect(reopened.entryTerm(5)).toBe(3);
    expect(reopened.entryTerm(3)).toBe(2);

    reopened.commitFromLog();
    expect(reopened.commitSeq).toBe(5);
    expect(reopened.getCommitted('k1')).toMatchObject({ version: 4, value: Buffer.from('new') });
    expect(reopened.getVersion('k2')).toEqual({ version: 5, deleted: true });
    expect(reopened.lookupRequest('c', 1)).toEqual({
      version: 4,
      createdAt: 1000,
      modifiedAt: 1004,
      modifications: 1,
    });
    expect(reopened.uncommittedEntries()).toEqual([]);
  });

  it('remembers the highest commit point it was told of, across truncation and reopening, never lower', () => {
    const store = openStore();
    write(store, puts(1, 2, 1));
    store.append(puts(3, 2, 1));
    expect(store.knownCommitSeq).toBe(2);
    store.learnCommitSeq(9); // beyond its own log: a predecessor reported it
    store.learnCommitSeq(5);
    expect(store.knownCommitSeq).toBe(9);
    store.truncateAfter(2);
    expect([store.lastSeq, store.knownCommitSeq]).toEqual([2, 9]);
    store.close();
    const reopened = openStore();
    expect([reopened.commitSeq, reopened.knownCommitSeq]).toEqual([2, 9]);
    reopened.append(puts(3, 10, 2));
    reopened.commitFromLog(12);
    expect(reopened.knownCommitSeq).toBe(12);
  });

  it('commits from the log in chunks within one transaction', () => {
    const store = openStore();
    for (let seq = 1; seq <= 2500; seq += 500) store.append(puts(seq, 500));
    expect(() => store.commitFromLog(2501)).toThrow(/beyond lastSeq 2500/);
    store.commitFromLog(2400);
    expect(store.commitSeq).toBe(2400);
    expect(store.countKeys()).toBe(2400);
    expect(store.getCommitted('k2400')?.version).toBe(2400);
    expect(store.getCommitted('k2401')).toBeUndefined();
  });

  it('truncates only the uncommitted suffix', () => {
    const store = openStore();
    write(store, puts(1, 3, 1));
    store.append(puts(4, 3, 2));
    expect(() => store.truncateAfter(2)).toThrow(/cannot drop committed entries/);
    store.truncateAfter(10); // nothing after 10
    expect(store.lastSeq).toBe(6);
    store.truncateAfter(4);
    expect([store.lastSeq, store.lastTerm]).toEqual([4, 2]);
    expect(store.readLog(1, 100).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    store.truncateAfter(3);
    expect([store.lastSeq, store.lastTerm, store.commitSeq]).toEqual([3, 1, 3]);
    store.append(puts(4, 1, 5));
    store.close();
    const reopened = openStore();
    expect([reopened.lastSeq, reopened.lastTerm]).toEqual([4, 5]);
  });

  it('trims the committed log but keeps the tail, and remembers where it ends', () => {
    const store = openStore();
    write(store, puts(1, 100, 1));
    write(store, puts(101, 20, 2));
    store.append(puts(121, 5, 2));
    expect(store.trimLog(10, { chunkSize: 7 })).toBe(110);
    expect(store.firstLogSeq).toBe(111);
    expect(store.readLog(111, 1000).map((e) => e.seq)).toEqual(Array.from({ length: 15 }, (_, i) => 111 + i));
    expect(() => store.readLog(110, 10)).toThrow(LogTrimmedError);
    expect(store.entryTerm(110)).toBe(2);
    expect(store.entryTerm(109)).toBeUndefined();
    expect(store.trimLog(10)).toBe(0);
    expect(() => store.trimLog(-1)).toThrow(/bad keepTail/);

    // Bounded calls: at most maxEntries each.
    expect(store.trimLog(0, { maxEntries: 4 })).toBe(4);
    expect(store.trimLog(0, { maxEntries: 4 })).toBe(4);
    expect(store.trimLog(0)).toBe(2);
    expect(store.firstLogSeq).toBe(121);
    expect(store.uncommittedEntries().map((e) => e.seq)).toEqual([121, 122, 123, 124, 125]);
    expect(store.getCommitted('k1')?.version).toBe(1);

    // With the whole log trimmed, lastSeq and lastTerm survive a restart.
    store.commitFromLog();
    expect(store.trimLog(0)).toBe(5);
    expect([store.lastSeq, store.lastTerm, store.firstLogSeq]).toEqual([125, 2, 126]);
    expect(store.readLog(126, 10)).toEqual([]);
    store.close();
    const reopened = openStore();
    expect([reopened.lastSeq, reopened.lastTerm, reopened.commitSeq, reopened.firstLogSeq]).toEqual([
      125, 2, 125, 126,
    ]);
    expect(reopened.entryTerm(125)).toBe(2);
    reopened.append(puts(126, 1, 3));
    expect(reopened.readLog(126, 10)).toHaveLength(1);
  });

  it('remembers committed request results for retries and prunes old ones', () => {
    let now = 10_000;
    const store = openStore({ now: () => now });
    store.append([
      put(1, 'a', 'x', { clientId: 'client-1', requestId: 1 }),
      put(2, 'b', 'y', { clientId: 'client-1', requestId: 2, createdAt: 5, modifiedAt: 6, modifications: 7 }),
      put(3, 'c', 'z'),
    ]);
    expect(store.lookupRequest('client-1', 1)).toBeUndefined(); // not committed yet
    store.commitFromLog(2);
    expect(store.lookupRequest('client-1', 2)).toEqual({
      version: 2,
      createdAt: 5,
      modifiedAt: 6,
      modifications: 7,
    });
    expect(store.lookupRequest('client-2', 2)).toBeUndefined();
    store.commitFromLog(3);
    now = 20_000;
    write(store, [del(4, 'a', { clientId: 'client-2', requestId: 2 })]);
    expect(store.lookupRequest('client-2', 2)).toEqual({
      version: 4,
      createdAt: 1000,
      modifiedAt: 1004,
      modifications: 2,
    });

    now = 25_000;
    expect(store.pruneRequests(10_000)).toBe(2); // applied at 10,000 < 15,000
    expect(store.lookupRequest('client-1', 1)).toBeUndefined();
    expect(store.lookupRequest('client-2', 2)?.version).toBe(4);
  });

  it('scans committed live records by prefix and range in UTF-8 key order', () => {
    const store = openStore();
    const keys = ['b/2', 'a', 'b/1', 'b', 'b0', 'b/3', 'c', 'é', '中', '😀', 'b/é', 'b/\u{10ffff}'];
    write(
      store,
      keys.map((key, i) => put(i + 1, key, `v:${key}`)),
    );
    write(store, [del(keys.length + 1, 'b/3')]);
    store.append([put(keys.length + 2, 'b/4', 'uncommitted')]);

    const scanKeys = (options: Parameters<ShardStore['scan']>[0]) => store.scan(options).map((r) => r.key);
    expect(scanKeys({ limit: 100 })).toEqual([
      'a',
      'b',
      'b/1',
      'b/2',
      'b/é',
      'b/\u{10ffff}',
      'b0',
      'c',
      'é',
      '中',
      '😀',
    ]);
    expect(scanKeys({ prefix: 'b/', limit: 100 })).toEqual(['b/1', 'b/2', 'b/é', 'b/\u{10ffff}']);
    expect(scanKeys({ prefix: 'b/', limit: 2 })).toEqual(['b/1', 'b/2']);
    expect(scanKeys({ prefix: 'b/', start: 'b/2', limit: 100 })).toEqual(['b/2', 'b/é', 'b/\u{10ffff}']);
    expect(scanKeys({ start: 'b', end: 'c', limit: 100 })).toEqual([
      'b',
      'b/1',
      'b/2',
      'b/é',
      'b/\u{10ffff}',
      'b0',
    ]);
    expect(scanKeys({ prefix: 'b', end: 'b/2', limit: 100 })).toEqual(['b', 'b/1']);
    expect(scanKeys({ start: 'd', limit: 100 })).toEqual(['é', '中', '😀']);
    expect(scanKeys({ prefix: 'x', limit: 100 })).toEqual([]);
    expect(scanKeys({ limit: 0 })).toEqual([]);
    const [first] = store.scan({ prefix: 'b/1', limit: 1 });
    expect(first).toEqual({
      key: 'b/1',
      value: Buffer.from('v:b/1'),
      version: 3,
      createdAt: 1000,
      modifiedAt: 1003,
      modifications: 1,
    });
  });

  it('writes a consistent snapshot that opens as a store at its commit point', async () => {
    const store = openStore();
    write(store, puts(1, 50));
    store.append(puts(51, 5));
    const copyPath = join(dir, 'snapshot.sqlite');
    const { seq } = await store.snapshotTo(copyPath);
    expect(seq).toBe(50);
    const copy = openShardStore(copyPath);
    open.push(copy);
    expect([copy.commitSeq, copy.lastSeq]).toEqual([50, 55]);
    expect(copy.countKeys()).toBe(50);
    expect(copy.getCommitted('k50')?.value).toEqual(Buffer.from('v50'));
    expect(store.fileSizeBytes()).toBeGreaterThan(0);
  });

  it('keeps using a database whose file another connection reads meanwhile', () => {
    const store = openStore();
    write(store, puts(1, 10));
    const reader = new Database(path, { readonly: true });
    try {
      expect(reader.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(reader.prepare('SELECT count(*) AS n FROM kv').get()).toEqual({ n: 10 });
    } finally {
      reader.close();
    }
  });
});
