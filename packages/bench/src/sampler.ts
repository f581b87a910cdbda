import type { BenchNode } from './bench-cluster.js';
import { counterDelta, fetchNodeCounters, type NodeCounters } from './node-metrics.js';
import { cpuSeconds, cpuTime, type MachineCpu, machineCpu, machineLoad } from './process-stats.js';

/** Everything read at one instant, to difference over a measured window. */
export interface Sample {
  atMs: number;
  /** CLOCK_MONOTONIC in µs, the clock of V8 CPU profiles' timestamps (to cut a profile to a window). */
  monotonicUs: number;
  nodeCpu: Record<string, number>;
  benchCpu: number;
  redisCpu: number;
  machine: MachineCpu;
  counters: Record<string, NodeCounters>;
}

export interface WindowUsage {
  seconds: number;
  monotonicUs: [number, number];
  /** CPU seconds each node process used in the window. */
  nodeCpu: Record<string, number>;
  nodeCpuTotal: number;
  /** CPU seconds of this benchmark process (the load workers and the orchestrating thread). */
  benchCpu: number;
  redisCpu: number;
  /** Fractions of all cores' time busy and stolen. */
  machineBusy: number;
  machineSteal: number;
  counters: Record<string, NodeCounters>;
}

export async function takeSample(nodes: BenchNode[], redisPid: number): Promise<Sample> {
  // CPU first (instant), then the metrics endpoints (a few ms each under load).
  const atMs = Date.now();
  const monotonicUs = Number(process.hrtime.bigint() / 1000n);
  const nodeCpu = Object.fromEntries(nodes.map((node) => [node.id, cpuSeconds(cpuTime(node.pid))]));
  const benchCpu = cpuSeconds(cpuTime('self'));
  const redisCpu = cpuSeconds(cpuTime(redisPid));
  const machine = machineCpu();
  const counters = Object.fromEntries(
    await Promise.all(nodes.map(async (node) => [node.id, await fetchNodeCounters(node.url)] as const)),
  );
  return { atMs, monotonicUs, nodeCpu, benchCpu, redisCpu, machine, counters };
}

export function usageBetween(before: Sample, after: Sample): WindowUsage {
  const nodeCpu = Object.fromEntries(
    Object.keys(after.nodeCpu).map((id) => [id, after.nodeCpu[id]! - before.nodeCpu[id]!]),
  );
  const load = machineLoad(before.machine, after.machine);
  return {
    seconds: (after.atMs - before.atMs) / 1000,
    monotonicUs: [before.monotonicUs, after.monotonicUs],
    nodeCpu,
    nodeCpuTotal: Object.values(nodeCpu).reduce((sum, seconds) => sum + seconds, 0),
    benchCpu: after.benchCpu - before.benchCpu,
    redisCpu: after.redisCpu - before.redisCpu,
    machineBusy: load.busy,
    machineSteal: load.steal,
    counters: Object.fromEntries(
      Object.keys(after.counters).map((id) => [id, counterDelta(before.counters[id]!, after.counters[id]!)]),
    ),
  };
}
