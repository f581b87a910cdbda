import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LogEntry } from '@star/protocol';
import { openShardStore } from './shard-store.js';

/**
 * Ad-hoc throughput benchmark of a shard store, run by nothing automatically:
 * `pnpm build && node dist/storage/store.bench.js [NORMAL|FULL] [entries] [keys] [separate|combined]`.
 */
export interface StoreBenchOptions {
  synchronous: 'NORMAL' | 'FULL';
  entries: number;
  keys: number;
  batchSize: number;
  valueBytes: number;
  /** `separate`: append then commit (head/middle); `combined`: appendAndCommit (tail). */
  mode: 'separate' | 'combined';
}

export interface StoreBenchResult extends StoreBenchOptions {
  seconds: number;
  entriesPerSecond: number;
  rssMiB: number;
  fileMiB: number;
}

export function runStoreBenchmark(options: StoreBenchOptions): StoreBenchResult {
  const dir = mkdtempSync(join(tmpdir(), 'star-store-bench-'));
  const store = openShardStore(join(dir, 'shard-0.sqlite'), { synchronous: options.synchronous });
  try {
    const value = Buffer.alloc(options.valueBytes, 0x61);
    const started = performance.now();
    let seq = 0;
    while (seq < options.entries) {
      const batch: LogEntry[] = [];
      for (let i = 0; i < options.batchSize; i++) {
        seq++;
        batch.push({
          seq,
          term: 1,
          op: 'put',
          key: `key-${String(seq % options.keys).padStart(8, '0')}`,
          value,
          contentType: 'application/octet-stream',
          createdAt: seq,
          modifiedAt: seq,
          modifications: 1,
          clientId: 'bench',
          requestId: seq,
        });
      }
      if (options.mode === 'combined') {
        store.appendAndCommit(batch);
      } else {
        store.append(batch);
        store.commit(seq, batch);
      }
      if (seq % 100_000 < options.batchSize) store.trimLog(10_000);
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      ...options,
      seconds: Math.round(seconds * 100) / 100,
      entriesPerSecond: Math.round(options.entries / seconds),
      rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
      fileMiB: Math.round(store.fileSizeBytes() / 2 ** 20),
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [synchronous = 'NORMAL', entries = '200000', keys = entries, mode = 'separate'] =
    process.argv.slice(2);
  const result = runStoreBenchmark({
    synchronous: synchronous === 'FULL' ? 'FULL' : 'NORMAL',
    entries: Number(entries),
    keys: Number(keys),
    batchSize: 100,
    valueBytes: 100,
    mode: mode === 'combined' ? 'combined' : 'separate',
  });
  console.log(JSON.stringify(result));
}
