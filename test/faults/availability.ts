import type { Operation } from '@star/testkit';
import type { SetInsert, SetListing } from './set-check.js';

/**
 * Availability per fault, computed after the run from the recorded history (issue 14 item 7).
 *
 * A fault is one inject→healed span of the schedule (a combination of nemeses counts as one fault,
 * named by its parts). For each we report the longest stretch with no successful write and with no
 * successful read, from the fault's start until the cluster was whole again; the p50 and p99 latency
 * of the successful operations invoked in that span; and the heal time against the bound.
 *
 * Percentiles are exact (sort, nearest rank), not a histogram (hdr-histogram-js would fit): a fault
 * sees a few thousand operations, a sort of that is well under a millisecond, and an exact value
 * needs no bucket precision explained beside it.
 */

/** One fault of a run, as the schedule ran it (`fault-step.ts`). */
export interface FaultSpan {
  /** The parts joined with `+`, e.g. `partition-halves+kill-node`. */
  name: string;
  parts: string[];
  /** When the first part started (history clock, `performance.now()`). */
  from: number;
  /** When the last part had healed what it broke (the runner then waits for a whole cluster). */
  endedAt: number;
  /** When the cluster was whole again, undefined when it did not heal within the bound. */
  healedAt?: number;
  healBoundMs: number;
}

/** A successful operation, reduced to what availability needs. */
export interface Success {
  kind: 'read' | 'write';
  invokedAt: number;
  completedAt: number;
}

export interface FaultAvailability {
  fault: string;
  parts: string[];
  /** From the fault's start to the end of its window (healed, or the end of the fault when not). */
  windowMs: number;
  /** The longest stretch in the window with no write completing successfully. */
  maxNoWriteMs: number;
  maxNoReadMs: number;
  /** Successful operations invoked in the window, and their latency percentiles (undefined: none). */
  successes: number;
  p50Ms?: number;
  p99Ms?: number;
  /** From the end of the fault to a whole cluster; undefined when it did not heal. */
  healMs?: number;
  healBoundMs: number;
  healedWithinBound: boolean;
}

/**
 * The successful operations of a run: register reads are reads, writes, CAS and deletes are writes
 * (a CAS refused on its precondition answered but wrote nothing: not a success here); set-workload
 * inserts are writes and complete listings reads.
 */
export function successesOf(
  ops: readonly Operation[],
  inserts: readonly SetInsert[] = [],
  listings: readonly SetListing[] = [],
): Success[] {
  const out: Success[] = [];
  for (const op of ops) {
    if (op.outcome !== 'ok') continue;
    out.push({
      kind: op.type === 'read' ? 'read' : 'write',
      invokedAt: op.invokedAt,
      completedAt: op.completedAt,
    });
  }
  for (const insert of inserts) {
    if (insert.outcome === 'ok' && insert.completedAt !== undefined)
      out.push({ kind: 'write', invokedAt: insert.invokedAt, completedAt: insert.completedAt });
  }
  for (const listing of listings) {
    if (listing.keys !== undefined && listing.final !== true)
      out.push({ kind: 'read', invokedAt: listing.startedAt, completedAt: listing.endedAt });
  }
  return out;
}

/**
 * The longest stretch of [from, to] in which no success completed: the largest gap between
 * consecutive completions, counting from `from` and up to `to`. No completion at all: the window.
 */
export function longestGap(completions: readonly number[], from: number, to: number): number {
  const inside = completions.filter((at) => at >= from && at <= to).sort((a, b) => a - b);
  let previous = from;
  let longest = 0;
  for (const at of inside) {
    longest = Math.max(longest, at - previous);
    previous = at;
  }
  return Math.max(longest, to - previous);
}

/** The nearest-rank percentile (`p` in (0, 1]) of sorted values; undefined for none. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

const round = (ms: number) => Math.round(ms);

/** Availability of each fault span from the run's successes. */
export function availabilityOf(
  spans: readonly FaultSpan[],
  successes: readonly Success[],
): FaultAvailability[] {
  const writes = successes.filter((s) => s.kind === 'write').map((s) => s.completedAt);
  const reads = successes.filter((s) => s.kind === 'read').map((s) => s.completedAt);
  return spans.map((span) => {
    const to = span.healedAt ?? span.endedAt;
    const latencies = successes
      .filter((s) => s.invokedAt >= span.from && s.invokedAt <= to)
      .map((s) => s.completedAt - s.invokedAt)
      .sort((a, b) => a - b);
    const p50 = percentile(latencies, 0.5);
    const p99 = percentile(latencies, 0.99);
    const healMs = span.healedAt === undefined ? undefined : round(span.healedAt - span.endedAt);
    return {
      fault: span.name,
      parts: span.parts,
      windowMs: round(to - span.from),
      maxNoWriteMs: round(longestGap(writes, span.from, to)),
      maxNoReadMs: round(longestGap(reads, span.from, to)),
      successes: latencies.length,
      ...(p50 === undefined ? {} : { p50Ms: round(p50) }),
      ...(p99 === undefined ? {} : { p99Ms: round(p99) }),
      ...(healMs === undefined ? {} : { healMs }),
      healBoundMs: span.healBoundMs,
      healedWithinBound: healMs !== undefined && healMs <= span.healBoundMs,
    };
  });
}

const cell = (ms: number | undefined) => (ms === undefined ? '-' : ms.toLocaleString('en-US'));

/** The markdown table of a run's faults (`availability.md` in the run folder, docs/reliability.md). */
export function formatAvailabilityTable(rows: readonly FaultAvailability[]): string {
  const lines = [
    '| # | fault | window ms | no write ms | no read ms | ok ops | p50 ms | p99 ms | heal ms | healed in bound |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (row, i) =>
        `| ${i + 1} | ${row.fault} | ${cell(row.windowMs)} | ${cell(row.maxNoWriteMs)} | ${cell(row.maxNoReadMs)} | ` +
        `${cell(row.successes)} | ${cell(row.p50Ms)} | ${cell(row.p99Ms)} | ${cell(row.healMs)} | ` +
        `${row.healedWithinBound ? 'yes' : 'NO'} (${cell(row.healBoundMs)}) |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
