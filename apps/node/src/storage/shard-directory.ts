import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ShardStore, type ShardStoreOptions } from './shard-store.js';

export interface ShardDirectoryOptions extends Omit<ShardStoreOptions, 'cacheKiB'> {
  /** SQLite page cache shared by all open shards, in KiB (default 64 MiB), split evenly between them. */
  cacheBudgetKiB?: number;
  /** No open shard gets less cache than this, in KiB (default 2 MiB). */
  minCacheKiB?: number;
}

const fileNamePattern = /^shard-(\d+)\.sqlite$/;

export function shardFileName(shard: number): string {
  if (!Number.isSafeInteger(shard) || shard < 0) throw new Error(`bad shard id ${shard}`);
  return `shard-${shard}.sqlite`;
}

/** The shard stores of one node: `<dataDir>/shard-<id>.sqlite`, each opened once and kept open. */
export class ShardDirectory {
  readonly dataDir: string;
  readonly #options: ShardDirectoryOptions;
  readonly #open = new Map<number, ShardStore>();

  constructor(dataDir: string, options: ShardDirectoryOptions = {}) {
    this.dataDir = dataDir;
    this.#options = options;
    mkdirSync(dataDir, { recursive: true });
  }

  pathOf(shard: number): string {
    return join(this.dataDir, shardFileName(shard));
  }

  /** Ids of every shard with a database file here, open or not, ascending. */
  list(): number[] {
    const ids: number[] = [];
    for (const name of readdirSync(this.dataDir)) {
      const match = fileNamePattern.exec(name);
      if (match) ids.push(Number(match[1]));
    }
    return ids.sort((a, b) => a - b);
  }

  /** The open store of `shard`, opening (and creating) it first if needed. */
  open(shard: number): ShardStore {
    let store = this.#open.get(shard);
    if (store === undefined) {
      const { cacheBudgetKiB: _budget, minCacheKiB: _min, ...storeOptions } = this.#options;
      store = ShardStore.open(this.pathOf(shard), {
        ...storeOptions,
        cacheKiB: this.#cacheKiB(this.#open.size + 1),
      });
      this.#open.set(shard, store);
      this.#splitCache();
    }
    return store;
  }

  /** Opens every shard found on disk. */
  openAll(): ShardStore[] {
    return this.list().map((shard) => this.open(shard));
  }

  get(shard: number): ShardStore | undefined {
    return this.#open.get(shard);
  }

  /** The open stores by shard id. */
  get stores(): ReadonlyMap<number, ShardStore> {
    return this.#open;
  }

  close(shard: number): void {
    const store = this.#open.get(shard);
    if (store === undefined) return;
    this.#open.delete(shard);
    store.close();
    this.#splitCache();
  }

  closeAll(): void {
    for (const store of this.#open.values()) store.close();
    this.#open.clear();
  }

  /** Closes `shard` and deletes its files (database, WAL, shared memory), e.g. after it moved away. */
  remove(shard: number): void {
    this.close(shard);
    const path = this.pathOf(shard);
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  }

  #cacheKiB(openCount: number): number {
    const budget = this.#options.cacheBudgetKiB ?? 64 * 1024;
    return Math.max(this.#options.minCacheKiB ?? 2048, Math.floor(budget / Math.max(1, openCount)));
  }

  #splitCache(): void {
    const kib = this.#cacheKiB(this.#open.size);
    for (const store of this.#open.values()) store.setCacheKiB(kib);
  }
}
