import type { CheckResult, Operation, Verdict } from '@star/testkit';
import { type FaultAvailability, formatAvailabilityTable } from './availability.js';
import type { FaultTimeline } from './fault-timeline.js';
import type { LostWrite } from './final-state.js';
import type { Via } from './register-workload.js';

/** What a run did and found, as printed and as written to `verdict.json`. */
export interface RunSummary {
  schedule: string;
  seed: number;
  elapsedSeconds: number;
  operations: number;
  outcomes: { ok: number; fail: number; info: number };
  byType: Record<string, number>;
  byVia: Record<Via | 'final', number>;
  faultsInjected: Record<string, number>;
  faultCount: number;
  errors: Record<string, number>;
  verdict: Verdict;
  checkedKeys: number;
  checkMs: number;
  lostWrites: number;
  problems: string[];
  findings: string[];
  /** Per fault (inject→healed): outages, latency, heal time (`availability.ts`). */
  availability: FaultAvailability[];
  dir: string;
}

export function summarize(params: {
  schedule: string;
  seed: number;
  ops: Operation[];
  timeline: FaultTimeline;
  check: CheckResult;
  lostWrites: LostWrite[];
  problems: string[];
  findings: string[];
  errorCounts: Map<string, number>;
  elapsedMs: number;
  availability: FaultAvailability[];
  dir: string;
  via: (client: string) => Via;
}): RunSummary {
  const outcomes = { ok: 0, fail: 0, info: 0 };
  const byType: Record<string, number> = {};
  const byVia: Record<Via | 'final', number> = { client: 0, rest: 0, final: 0 };
  for (const op of params.ops) {
    outcomes[op.outcome]++;
    byType[op.type] = (byType[op.type] ?? 0) + 1;
    byVia[op.client === 'final' ? 'final' : params.via(String(op.client))]++;
  }
  const faultsInjected = Object.fromEntries(params.timeline.injected);
  return {
    schedule: params.schedule,
    seed: params.seed,
    elapsedSeconds: Math.round(params.elapsedMs / 1000),
    operations: params.ops.length,
    outcomes,
    byType,
    byVia,
    faultsInjected,
    faultCount: [...params.timeline.injected.values()].reduce((a, b) => a + b, 0),
    errors: Object.fromEntries([...params.errorCounts].sort((a, b) => b[1] - a[1])),
    verdict: params.check.verdict,
    checkedKeys: params.check.keys,
    checkMs: Math.round(params.check.elapsedMs),
    lostWrites: params.lostWrites.length,
    problems: params.problems,
    findings: params.findings,
    availability: params.availability,
    dir: params.dir,
  };
}

const n = (value: number) => value.toLocaleString('en-US');

export function formatSummary(summary: RunSummary): string {
  const faults = Object.entries(summary.faultsInjected)
    .map(([name, count]) => `${name} x${count}`)
    .join(', ');
  const errors = Object.entries(summary.errors)
    .map(([label, count]) => `${label} x${n(count)}`)
    .join(', ');
  const lines = [
    `fault run: ${summary.schedule} schedule, seed ${summary.seed}, ${summary.elapsedSeconds} s`,
    `operations: ${n(summary.operations)} (ok ${n(summary.outcomes.ok)}, fail ${n(summary.outcomes.fail)}, info ${n(summary.outcomes.info)}); ` +
      Object.entries(summary.byType)
        .map(([type, count]) => `${type} ${n(count)}`)
        .join(', ') +
      `; via client library ${n(summary.byVia.client)}, via REST ${n(summary.byVia.rest)}`,
    `faults injected: ${summary.faultCount} (${faults})`,
    `errors (other than precondition refusals): ${errors || 'none'}`,
    `verdict: ${summary.verdict} (${summary.checkedKeys} keys, checked in ${n(summary.checkMs)} ms)`,
    `lost writes: ${summary.lostWrites}`,
    ...summary.findings.map((finding) => `outage: ${finding}`),
    `problems: ${summary.problems.length === 0 ? 'none' : ''}`,
    ...summary.problems.map((problem) => `  - ${problem}`),
    'availability per fault (ms; no write / no read = longest stretch without a success, fault start to healed):',
    formatAvailabilityTable(summary.availability).trimEnd(),
    `run folder: ${summary.dir}`,
  ];
  return `${lines.join('\n')}\n`;
}
