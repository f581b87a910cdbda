import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShardDirectory, shardFileName } from './shard-directory.js';

let dir: string;
let shards: ShardDirectory | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'star-shard-dir-'));
});

afterEach(() => {
  shards?.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('ShardDirectory', () => {
  it('opens one store per shard file, lists and reopens them', () => {
    const dataDir = join(dir, 'data');
    shards = new ShardDirectory(dataDir, { cacheBudgetKiB: 32 * 1024 });
    const first = shards.open(12);
    expect(shards.open(12)).toBe(first);
    first.append([
      { seq: 1, term: 1, op: 'delete', key: 'k', createdAt: 1, modifiedAt: 1, modifications: 1 },
    ]);
    shards.open(3);
    writeFileSync(join(dataDir, 'shard-x.sqlite'), '');
    writeFileSync(join(dataDir, 'notes.txt'), '');
    expect(shards.list()).toEqual([3, 12]);
    expect(first.path).toBe(join(dataDir, 'shard-12.sqlite'));
    expect(first.settings().cacheKiB).toBe(16 * 1024);
    shards.close(3);
    expect(first.settings().cacheKiB).toBe(32 * 1024);

    shards.closeAll();
    expect(first.isOpen).toBe(false);
    shards = new ShardDirectory(dataDir);
    expect(shards.openAll().map((store) => store.path)).toEqual([shards.pathOf(3), shards.pathOf(12)]);
    expect(shards.get(12)?.lastSeq).toBe(1);
    expect([...shards.stores.keys()]).toEqual([3, 12]);
  });

  it('removes a shard and its files', () => {
    shards = new ShardDirectory(dir);
    shards.open(5).saveConfig({ shard: 5, term: 1, chain: [] });
    shards.remove(5);
    expect(shards.get(5)).toBeUndefined();
    expect(shards.list()).toEqual([]);
    expect(existsSync(join(dir, 'shard-5.sqlite-wal'))).toBe(false);
  });

  it('refuses bad shard ids', () => {
    expect(() => shardFileName(-1)).toThrow(/bad shard id/);
    expect(() => shardFileName(1.5)).toThrow(/bad shard id/);
    expect(shardFileName(0)).toBe('shard-0.sqlite');
  });
});
