import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { table } from './report.js';

/**
 * `node dist/cpuprofile-summary.js <file.cpuprofile>... [--top N]`: where a V8 CPU profile (from
 * `--cpu-prof`, e.g. `pnpm bench:chain --cpu-prof <dir>`) spends its time, by self time per function
 * and per package (node_modules package, node internals, this repo's code, GC, idle). `--from/--to`
 * (CLOCK_MONOTONIC µs, printed by the bench for each run under `--cpu-prof`) keep one measured window.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pnpm = url.match(/node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pnpm) return pnpm[1]!;
  const plain = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (plain) return plain[1]!;
  const repo = url.match(/\/(apps|packages)\/([^/]+)\//);
  if (repo) return `star ${repo[1]}/${repo[2]}`;
  return url;
}

/** Samples between `fromUs` and `toUs` (CLOCK_MONOTONIC µs, as the bench prints per run) only. */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

export function summarizeProfile(profile: CpuProfile, top: number, window?: ProfileWindow): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window !== undefined && (at < window.fromUs || at > window.toUs)) continue;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + delta);
  }
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, micros] of selfMicros) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    total += micros;
    if (functionName === '(idle)') idle += micros;
    const name =
      `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(apps|packages)\//, '$1/')}:${lineNumber + 1}` : ''}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + micros);
    const pkg = packageOf(url, functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + micros);
  }
  const busy = total - idle;
  const rows = (map: Map<string, number>) =>
    [...map.entries()]
      .filter(([name]) => name !== '(idle)' && !name.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => [name, (micros / 1e6).toFixed(2), `${((100 * micros) / busy).toFixed(1)}%`]);
  return [
    `sampled ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (idle ${((100 * idle) / total).toFixed(0)}%)`,
    table(['package', 'self s', 'of busy'], rows(packages)),
    '',
    table(['function', 'self s', 'of busy'], rows(functions)),
  ].join('\n');
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
  });
  if (positionals.length === 0) {
    console.error(
      'usage: node dist/cpuprofile-summary.js <file.cpuprofile>... [--top N] [--from µs --to µs]',
    );
    process.exit(2);
  }
  const top = Number(values.top ?? 25);
  const window =
    values.from !== undefined || values.to !== undefined
      ? { fromUs: Number(values.from ?? 0), toUs: Number(values.to ?? Number.POSITIVE_INFINITY) }
      : undefined;
  for (const file of positionals) {
    console.log(`== ${basename(file)}`);
    console.log(summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top, window));
    console.log();
  }
}

main();
