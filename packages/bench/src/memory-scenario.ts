import { setTimeout as sleep } from 'node:timers/promises';
import { BenchCluster, directoryBytes, startLoad } from './bench-cluster.js';
import { type LatencySummary, mergeHistograms, summarize } from './latency.js';
import type { LoadGenerator } from './load-generator.js';
import { fetchNodeHeap, type NodeHeap } from './node-metrics.js';
import type { BenchOptions } from './options.js';
import { type MemoryUsage, memoryUsage } from './process-stats.js';
import { waitForQuietMachine } from './quiet-machine.js';

export const MEMORY_PREFIX = 'mem:';
export const RSS_LIMIT_BYTES = 300 * 1024 * 1024;

export interface MemoryResult {
  keys: number;
  valueBytes: number;
  concurrency: number;
  loadSeconds: number;
  keysPerS: number;
  writeLatency: LatencySummary | undefined;
  /** Failed attempts (each retried) while loading. */
  writeErrors: Record<string, number>;
  commitSeqs: Record<string, number>;
  /** RSS (and peak RSS) of each node: fresh, right after the load, and after the settle pause. */
  baseline: Record<string, MemoryUsage>;
  afterLoad: Record<string, MemoryUsage>;
  afterSettle: Record<string, MemoryUsage>;
  settleS: number;
  /** V8 heap and external memory each node reports after the settle pause (the rest of RSS is native: SQLite's cache, code). */
  heapAfterSettle: Record<string, NodeHeap>;
  /** Data dir size (SQLite database and WAL) per node after the settle pause. */
  diskBytes: Record<string, number>;
  limitBytes: number;
  underLimit: Record<string, boolean>;
}

/**
 * On a fresh chain: loads `memoryKeys` distinct keys with pipelined writes to the head, then reads
 * each node's RSS from /proc, at once and again after a pause for allocators and GC to settle.
 */
export async function runMemory(options: BenchOptions, log: (line: string) => void): Promise<MemoryResult> {
  const cluster = await BenchCluster.start();
  try {
    const rss = () => Object.fromEntries(cluster.nodes.map((node) => [node.id, memoryUsage(node.pid)]));
    const baseline = rss();
    const generator = await startLoad(cluster, options, 30_000);
    try {
      if (options.quietWaitS > 0) {
        await waitForQuietMachine({
          ownPids: [...cluster.nodes.map((node) => node.pid), cluster.redisPid],
          maxWaitS: options.quietWaitS,
          thresholdCores: options.quietCores,
          log,
        });
      }
      const started = Date.now();
      let lastDone = 0;
      let lastAt = started;
      const progress = setInterval(() => {
        const now = Date.now();
        const done = generator.done;
        const head = memoryUsage(cluster.nodes[0]!.pid).rssBytes;
        log(
          `  ${((now - started) / 1000).toFixed(0).padStart(4)}s  ${done.toLocaleString('en-US')} / ` +
            `${options.memoryKeys.toLocaleString('en-US')} keys (${((100 * done) / options.memoryKeys).toFixed(1)}%), ` +
            `${Math.round(((done - lastDone) * 1000) / (now - lastAt)).toLocaleString('en-US')} keys/s, ` +
            `head RSS ${(head / 2 ** 20).toFixed(0)} MiB`,
        );
        lastDone = done;
        lastAt = now;
      }, 5_000);
      let results: Awaited<ReturnType<LoadGenerator['load']>>;
      try {
        results = await generator.load(MEMORY_PREFIX, options.memoryKeys, options.memoryConcurrency);
      } finally {
        clearInterval(progress);
      }
      const loadSeconds = (Date.now() - started) / 1000;
      cluster.checkAlive();
      const afterLoad = rss();
      const commitSeqs = await cluster.commitSeqs();
      log(`  loaded in ${loadSeconds.toFixed(1)} s; waiting ${options.settleS} s for memory to settle`);
      await sleep(options.settleS * 1000);
      const afterSettle = rss();
      const heapAfterSettle = Object.fromEntries(
        await Promise.all(
          cluster.nodes.map(async (node) => [node.id, await fetchNodeHeap(node.url)] as const),
        ),
      );
      const errors: Record<string, number> = {};
      for (const result of results) {
        for (const [code, count] of Object.entries(result.errors)) errors[code] = (errors[code] ?? 0) + count;
      }
      const histogram = mergeHistograms(results.map((result) => result.histogram));
      const written = results.reduce((sum, result) => sum + result.written, 0);
      const writeLatency = written > 0 ? summarize(histogram) : undefined;
      histogram.destroy();
      return {
        keys: written,
        valueBytes: options.valueBytes,
        concurrency: options.memoryConcurrency,
        loadSeconds,
        keysPerS: written / loadSeconds,
        writeLatency,
        writeErrors: errors,
        commitSeqs,
        baseline,
        afterLoad,
        afterSettle,
        settleS: options.settleS,
        heapAfterSettle,
        diskBytes: Object.fromEntries(cluster.nodes.map((node) => [node.id, directoryBytes(node.dataDir)])),
        limitBytes: RSS_LIMIT_BYTES,
        underLimit: Object.fromEntries(
          Object.entries(afterSettle).map(([id, usage]) => [
            id,
            Math.max(usage.rssBytes, afterLoad[id]!.rssBytes) < RSS_LIMIT_BYTES,
          ]),
        ),
      };
    } finally {
      await generator.close();
    }
  } finally {
    await cluster.stop();
  }
}
