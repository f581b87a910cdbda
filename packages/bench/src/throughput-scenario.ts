import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchCluster } from './bench-cluster.js';
import { type LatencySummary, mergeHistograms, summarize } from './latency.js';
import type { LoadGenerator } from './load-generator.js';
import type { BenchOptions } from './options.js';
import { takeSample, usageBetween } from './sampler.js';
import type { OpTally, RunResult } from './worker-protocol.js';

export type ThroughputName = 'read' | 'write' | 'mixed';

export const throughputScenarios: Record<ThroughputName, { label: string; readRatio: number }> = {
  read: { label: 'read-only', readRatio: 1 },
  write: { label: 'write-only', readRatio: 0 },
  mixed: { label: '90/10 read/write', readRatio: 0.9 },
};

/** Prefix of the keys the throughput scenarios read and overwrite (preloaded once). */
export const THROUGHPUT_PREFIX = 'bench:';

export interface ThroughputResult {
  scenario: ThroughputName;
  label: string;
  run: number;
  durationS: number;
  /** The measured window on CLOCK_MONOTONIC (µs): `cpuprofile-summary --from --to` cuts profiles to it. */
  monotonicWindowUs: [number, number];
  concurrency: number;
  writesPerS: number;
  readsPerS: number;
  opsPerS: number;
  readLatency: LatencySummary | undefined;
  writeLatency: LatencySummary | undefined;
  /** CPU cores each node process kept busy on average (CPU seconds / wall seconds). */
  nodeCores: Record<string, number>;
  nodeCoresTotal: number;
  /** Acknowledged operations per CPU-second of the three node processes together. */
  opsPerNodeCpuSecond: number;
  /** Cores used by the benchmark process itself (load generator) and by redis-server. */
  generatorCores: number;
  redisCores: number;
  /** Fraction of all cores' time that was busy (and stolen by the hypervisor) in the window. */
  machineBusy: number;
  machineSteal: number;
  /** Cores busy with anything else on this (shared) machine during the window: it skews the figures. */
  otherCores: number;
  /** Node-side: reads that found the key dirty and asked the tail, over all reads served. */
  dirtyReadRatio: number | undefined;
  /** Node-side share of the reads each replica served (from star_node_reads_total). */
  readShare: Record<string, number>;
  /** Largest relative deviation of a replica's share from an even split (0.1 = ±10%). */
  readSpreadDeviation: number | undefined;
  /** Client-side share of successful reads sent to each replica. */
  clientReadShare: Record<string, number>;
  /** Entries per durable append (group commit) on each node. */
  appendBatchEntries: Record<string, number | undefined>;
  /** Seconds each node spent in garbage collection during the window. */
  gcSeconds: Record<string, number>;
  readErrors: Record<string, number>;
  writeErrors: Record<string, number>;
  readsNotFound: number;
}

export function concurrencyOf(scenario: ThroughputName, options: BenchOptions): number {
  return scenario === 'write' ? options.writeConcurrency : options.concurrency;
}

function sumTallies(tallies: OpTally[]): {
  ok: number;
  errors: Record<string, number>;
  latency?: LatencySummary;
} {
  const errors: Record<string, number> = {};
  for (const tally of tallies) {
    for (const [code, count] of Object.entries(tally.errors)) errors[code] = (errors[code] ?? 0) + count;
  }
  const ok = tallies.reduce((sum, tally) => sum + tally.ok, 0);
  const histogram = mergeHistograms(tallies.map((tally) => tally.histogram));
  const latency = ok > 0 ? summarize(histogram) : undefined;
  histogram.destroy();
  return latency === undefined ? { ok, errors } : { ok, errors, latency };
}

function shares(counts: Record<string, number>): Record<string, number> {
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  return Object.fromEntries(Object.entries(counts).map(([id, count]) => [id, total > 0 ? count / total : 0]));
}

/**
 * One measured run: a warm-up, then `durationS` of closed-loop load, with the nodes' CPU, the
 * machine's CPU and the nodes' counters read at the window's edges.
 */
export async function runThroughput(params: {
  cluster: BenchCluster;
  generator: LoadGenerator;
  options: BenchOptions;
  scenario: ThroughputName;
  run: number;
  log: (line: string) => void;
}): Promise<ThroughputResult> {
  const { cluster, generator, options, scenario, run, log } = params;
  const { label, readRatio } = throughputScenarios[scenario];
  const durationMs = options.durationS * 1000;
  const concurrency = concurrencyOf(scenario, options);
  const measureStartMs = Date.now() + options.warmupS * 1000;
  const measureEndMs = measureStartMs + durationMs;

  const running = generator.run(
    {
      readRatio,
      keyPrefix: THROUGHPUT_PREFIX,
      keyCount: options.keys,
      readPolicy: options.readPolicy,
      measureStartMs,
      measureEndMs,
    },
    concurrency,
  );
  running.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"

  let lastDone = 0;
  let lastAt = measureStartMs;
  const progress = setInterval(() => {
    const now = Date.now();
    if (now <= measureStartMs) return;
    const done = generator.done;
    log(
      `  ${((now - measureStartMs) / 1000).toFixed(0).padStart(3)}s  ${done.toLocaleString('en-US')} ops, ` +
        `${Math.round(((done - lastDone) * 1000) / (now - lastAt)).toLocaleString('en-US')} ops/s`,
    );
    lastDone = done;
    lastAt = now;
  }, 5_000);
  let results: RunResult[];
  let usage: ReturnType<typeof usageBetween>;
  try {
    await sleep(Math.max(0, measureStartMs - Date.now()));
    const before = await takeSample(cluster.nodes, cluster.redisPid);
    await sleep(Math.max(0, measureEndMs - Date.now()));
    const after = await takeSample(cluster.nodes, cluster.redisPid);
    results = await running;
    usage = usageBetween(before, after);
  } finally {
    clearInterval(progress);
  }
  cluster.checkAlive();

  const reads = sumTallies(results.map((result) => result.reads));
  const writes = sumTallies(results.map((result) => result.writes));
  const seconds = durationMs / 1000;
  const readsPerS = reads.ok / seconds;
  const writesPerS = writes.ok / seconds;
  const cores = (cpuSeconds: number) => cpuSeconds / usage.seconds;

  const nodeReads: Record<string, number> = {};
  let dirty = 0;
  for (const [id, counters] of Object.entries(usage.counters)) {
    nodeReads[id] = counters.cleanReads + counters.dirtyReads;
    dirty += counters.dirtyReads;
  }
  const totalNodeReads = Object.values(nodeReads).reduce((sum, count) => sum + count, 0);
  const readShare = shares(nodeReads);
  const clientReads: Record<string, number> = {};
  for (const result of results) {
    for (const [id, count] of Object.entries(result.readsByNode))
      clientReads[id] = (clientReads[id] ?? 0) + count;
  }
  const even = 1 / cluster.nodes.length;

  return {
    scenario,
    label,
    run,
    durationS: seconds,
    monotonicWindowUs: usage.monotonicUs,
    concurrency,
    writesPerS,
    readsPerS,
    opsPerS: readsPerS + writesPerS,
    readLatency: reads.latency,
    writeLatency: writes.latency,
    nodeCores: Object.fromEntries(Object.entries(usage.nodeCpu).map(([id, cpu]) => [id, cores(cpu)])),
    nodeCoresTotal: cores(usage.nodeCpuTotal),
    opsPerNodeCpuSecond: (readsPerS + writesPerS) / cores(usage.nodeCpuTotal),
    generatorCores: cores(usage.benchCpu),
    redisCores: cores(usage.redisCpu),
    machineBusy: usage.machineBusy,
    machineSteal: usage.machineSteal,
    otherCores: Math.max(
      0,
      usage.machineBusy * availableParallelism() -
        cores(usage.nodeCpuTotal + usage.benchCpu + usage.redisCpu),
    ),
    dirtyReadRatio: totalNodeReads > 0 ? dirty / totalNodeReads : undefined,
    readShare,
    readSpreadDeviation:
      totalNodeReads > 0
        ? Math.max(...Object.values(readShare).map((share) => Math.abs(share - even) / even))
        : undefined,
    clientReadShare: shares(clientReads),
    appendBatchEntries: Object.fromEntries(
      Object.entries(usage.counters).map(([id, c]) => [
        id,
        c.appendBatches > 0 ? c.appendEntries / c.appendBatches : undefined,
      ]),
    ),
    gcSeconds: Object.fromEntries(Object.entries(usage.counters).map(([id, c]) => [id, c.gcSeconds])),
    readErrors: reads.errors,
    writeErrors: writes.errors,
    readsNotFound: results.reduce((sum, result) => sum + result.readsNotFound, 0),
  };
}
