import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LatencySummary } from './latency.js';
import type { MachineInfo } from './machine.js';
import type { MemoryResult } from './memory-scenario.js';
import type { BenchOptions } from './options.js';
import type { ThroughputName, ThroughputResult } from './throughput-scenario.js';

/** The issue's targets for a 3-node chain. */
export const targets = {
  writesPerS: 20_000,
  readsPerS: 60_000,
  readSpread: 0.15,
  rssMiB: 300,
} as const;

const int = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(2));
const pct = (value: number | undefined, digits = 1) =>
  value === undefined ? '-' : `${(value * 100).toFixed(digits)}%`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)}`;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function medianOrUndefined(values: (number | undefined)[]): number | undefined {
  const defined = values.filter((value): value is number => value !== undefined);
  return defined.length > 0 ? median(defined) : undefined;
}

/** A plain text table: columns padded, numbers right-aligned. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

function errors(label: string, counts: Record<string, number>): string | undefined {
  const entries = Object.entries(counts);
  return entries.length === 0
    ? undefined
    : `${label} ${entries.map(([code, n]) => `${code}×${n}`).join(', ')}`;
}

function latency(label: string, summary: LatencySummary | undefined): string {
  return summary === undefined
    ? `${label} -`
    : `${label} p50 ${ms(summary.p50Ms)} / p99 ${ms(summary.p99Ms)} / p99.9 ${ms(summary.p999Ms)} / max ${ms(summary.maxMs)}`;
}

function perNode(values: Record<string, number | undefined>, format: (value: number | undefined) => string) {
  return Object.entries(values)
    .map(([id, value]) => `${id} ${format(value)}`)
    .join(', ');
}

export function formatRun(result: ThroughputResult): string {
  const lines = [
    `  throughput   ${int(result.writesPerS)} writes/s, ${int(result.readsPerS)} reads/s (${int(result.opsPerS)} ops/s)`,
    `  latency ms   ${latency('read', result.readLatency)}`,
    `               ${latency('write', result.writeLatency)}`,
    `  node CPU     ${perNode(result.nodeCores, (v) => `${(v ?? 0).toFixed(2)}`)} cores; total ${result.nodeCoresTotal.toFixed(2)} → ${int(result.opsPerNodeCpuSecond)} ops per node CPU-second`,
    `  other CPU    generator ${result.generatorCores.toFixed(2)} cores, redis ${result.redisCores.toFixed(2)}; machine busy ${pct(result.machineBusy, 0)} (steal ${pct(result.machineSteal, 0)}); other processes ${result.otherCores.toFixed(2)} cores`,
    `  reads        dirty ${pct(result.dirtyReadRatio, 2)}; served by ${perNode(result.readShare, (v) => pct(v))} (max deviation from even ${pct(result.readSpreadDeviation)})`,
    `  group commit ${perNode(result.appendBatchEntries, (v) => (v === undefined ? '-' : v.toFixed(1)))} entries per append; GC ${perNode(result.gcSeconds, (v) => `${(v ?? 0).toFixed(2)}s`)}`,
  ];
  const problems = [
    errors('read errors', result.readErrors),
    errors('write errors', result.writeErrors),
    result.readsNotFound > 0 ? `reads not found ${result.readsNotFound}` : undefined,
  ].filter((line) => line !== undefined);
  lines.push(`  errors       ${problems.length === 0 ? 'none' : problems.join('; ')}`);
  return lines.join('\n');
}

export interface ScenarioMedian {
  scenario: ThroughputName;
  label: string;
  runs: number;
  concurrency: number;
  writesPerS: number;
  readsPerS: number;
  readP50Ms: number | undefined;
  readP99Ms: number | undefined;
  writeP50Ms: number | undefined;
  writeP99Ms: number | undefined;
  opsPerNodeCpuSecond: number;
  nodeCoresTotal: number;
  generatorCores: number;
  otherCores: number;
  dirtyReadRatio: number | undefined;
  readShare: Record<string, number>;
  readSpreadDeviation: number | undefined;
}

export function medians(results: ThroughputResult[]): ScenarioMedian[] {
  const byScenario = new Map<ThroughputName, ThroughputResult[]>();
  for (const result of results)
    byScenario.set(result.scenario, [...(byScenario.get(result.scenario) ?? []), result]);
  return [...byScenario.entries()].map(([scenario, runs]) => {
    const pick = (get: (run: ThroughputResult) => number | undefined) => medianOrUndefined(runs.map(get));
    const ids = Object.keys(runs[0]!.readShare);
    return {
      scenario,
      label: runs[0]!.label,
      runs: runs.length,
      concurrency: runs[0]!.concurrency,
      writesPerS: pick((run) => run.writesPerS)!,
      readsPerS: pick((run) => run.readsPerS)!,
      readP50Ms: pick((run) => run.readLatency?.p50Ms),
      readP99Ms: pick((run) => run.readLatency?.p99Ms),
      writeP50Ms: pick((run) => run.writeLatency?.p50Ms),
      writeP99Ms: pick((run) => run.writeLatency?.p99Ms),
      opsPerNodeCpuSecond: pick((run) => run.opsPerNodeCpuSecond)!,
      nodeCoresTotal: pick((run) => run.nodeCoresTotal)!,
      generatorCores: pick((run) => run.generatorCores)!,
      otherCores: pick((run) => run.otherCores)!,
      dirtyReadRatio: pick((run) => run.dirtyReadRatio),
      readShare: Object.fromEntries(ids.map((id) => [id, pick((run) => run.readShare[id])!])),
      readSpreadDeviation: pick((run) => run.readSpreadDeviation),
    };
  });
}

export function summaryTable(rows: ScenarioMedian[]): string {
  const ids = rows.length > 0 ? Object.keys(rows[0]!.readShare) : [];
  return table(
    [
      'scenario',
      'runs',
      'in flight',
      'writes/s',
      'reads/s',
      'read p50/p99 ms',
      'write p50/p99 ms',
      'ops/node-CPU-s',
      'node cores',
      'gen cores',
      'other cores',
      'dirty reads',
      `read share ${ids.join('/')}`,
    ],
    rows.map((row) => [
      row.label,
      String(row.runs),
      String(row.concurrency),
      int(row.writesPerS),
      int(row.readsPerS),
      `${ms(row.readP50Ms)} / ${ms(row.readP99Ms)}`,
      `${ms(row.writeP50Ms)} / ${ms(row.writeP99Ms)}`,
      int(row.opsPerNodeCpuSecond),
      row.nodeCoresTotal.toFixed(2),
      row.generatorCores.toFixed(2),
      row.otherCores.toFixed(2),
      pct(row.dirtyReadRatio, 2),
      row.readsPerS > 0 ? ids.map((id) => pct(row.readShare[id], 1)).join(' / ') : '-',
    ]),
  );
}

export function formatMemory(result: MemoryResult): string {
  const ids = Object.keys(result.afterSettle);
  const rows = ids.map((id) => [
    id,
    mib(result.baseline[id]!.rssBytes),
    mib(result.afterLoad[id]!.rssBytes),
    mib(result.afterSettle[id]!.rssBytes),
    mib(result.afterSettle[id]!.peakRssBytes),
    mib(result.heapAfterSettle[id]!.heapUsedBytes),
    mib(result.heapAfterSettle[id]!.externalBytes),
    mib(result.diskBytes[id]!),
    result.underLimit[id] ? `yes (< ${targets.rssMiB} MiB)` : `NO (>= ${targets.rssMiB} MiB)`,
  ]);
  return [
    `  ${int(result.keys)} keys × ${result.valueBytes} B loaded in ${result.loadSeconds.toFixed(1)} s ` +
      `(${int(result.keysPerS)} keys/s, ${result.concurrency} in flight); ` +
      `${latency('write', result.writeLatency)}; commitSeq ${perNode(result.commitSeqs, (v) => int(v ?? 0))}`,
    ...(Object.keys(result.writeErrors).length > 0
      ? [`  ${errors('retried write errors', result.writeErrors)}`]
      : []),
    table(
      [
        'node',
        'RSS fresh MiB',
        'RSS after load',
        `RSS after ${result.settleS}s`,
        'peak RSS',
        'JS heap used',
        'external',
        'disk MiB',
        'under limit',
      ],
      rows,
    ),
  ].join('\n');
}

/** One line per target of the issue: met or not, with the measured figure. */
export function targetLines(rows: ScenarioMedian[], memory: MemoryResult | undefined): string[] {
  const lines: string[] = [];
  const verdict = (met: boolean) => (met ? 'MET    ' : 'NOT MET');
  const write = rows.find((row) => row.scenario === 'write');
  if (write) {
    lines.push(
      `${verdict(write.writesPerS >= targets.writesPerS)} ≥ ${int(targets.writesPerS)} acknowledged writes/s: ${int(write.writesPerS)} (write-only)`,
    );
  }
  const read = rows.find((row) => row.scenario === 'read');
  if (read) {
    lines.push(
      `${verdict(read.readsPerS >= targets.readsPerS)} ≥ ${int(targets.readsPerS)} reads/s: ${int(read.readsPerS)} (read-only)`,
    );
  }
  for (const row of rows) {
    if (row.readSpreadDeviation === undefined) continue;
    lines.push(
      `${verdict(row.readSpreadDeviation <= targets.readSpread)} reads within ±${targets.readSpread * 100}% across replicas: ` +
        `max deviation ${pct(row.readSpreadDeviation)} (${row.label})`,
    );
  }
  if (memory) {
    const worst = Math.max(
      ...Object.keys(memory.afterSettle).map((id) =>
        Math.max(memory.afterSettle[id]!.rssBytes, memory.afterLoad[id]!.rssBytes),
      ),
    );
    lines.push(
      `${verdict(Object.values(memory.underLimit).every(Boolean))} < ${targets.rssMiB} MiB RSS per node at ` +
        `${int(memory.keys)} keys: largest ${mib(worst)} MiB`,
    );
  }
  return lines;
}

export interface BenchReport {
  startedAt: string;
  machine: MachineInfo;
  options: BenchOptions;
  runs: ThroughputResult[];
  medians: ScenarioMedian[];
  memory: MemoryResult | undefined;
  targets: string[];
}

export function writeReport(dir: string, report: BenchReport): string {
  mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const path = join(dir, `chain-${stamp}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}
