import { describe, expect, it } from 'vitest';
import type { ConnectorMetadata } from '../model/connector.js';
import { MetadataCache } from './metadata-cache.js';

/** A metadata source that counts how often it is asked (a real implementation of the interface, not a mock). */
class CountingMetadata implements ConnectorMetadata {
  calls = 0;
  failNext = false;
  async listDatabases() {
    this.calls++;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('source down');
    }
    return [`db${this.calls}`];
  }
  async listTables(database: string) {
    this.calls++;
    return [`${database}-t${this.calls}`];
  }
  async getTable(ref: { database: string; table: string }) {
    this.calls++;
    return { ...ref, columns: [], partitionColumns: [] };
  }
  async listPartitions() {
    return [];
  }
  async getStatistics() {
    return { exact: true, columns: {} };
  }
}

describe('MetadataCache', () => {
  it('answers from the cache within the TTL, asks again after it', async () => {
    let now = 0;
    const source = new CountingMetadata();
    const cache = new MetadataCache(source, 1_000, () => now);
    expect(await cache.listDatabases()).toEqual(['db1']);
    now = 999;
    expect(await cache.listDatabases()).toEqual(['db1']);
    now = 1_000;
    expect(await cache.listDatabases()).toEqual(['db2']);
  });

  it('shares one source call between concurrent misses and does not cache failures', async () => {
    const source = new CountingMetadata();
    const cache = new MetadataCache(source, 60_000);
    const [a, b] = await Promise.all([cache.listTables('x'), cache.listTables('x')]);
    expect(a).toEqual(b);
    expect(source.calls).toBe(1);
    source.failNext = true;
    await expect(cache.listDatabases()).rejects.toThrow('source down');
    expect(await cache.listDatabases()).toEqual(['db3']);
  });

  it('refresh drops everything, or one database', async () => {
    const source = new CountingMetadata();
    const cache = new MetadataCache(source, 60_000);
    await cache.listTables('a');
    await cache.listTables('b');
    cache.refresh({ database: 'a' });
    expect(await cache.listTables('a')).toEqual(['a-t3']);
    expect(await cache.listTables('b')).toEqual(['b-t2']);
    cache.refresh();
    expect(await cache.listTables('b')).toEqual(['b-t4']);
  });
});
