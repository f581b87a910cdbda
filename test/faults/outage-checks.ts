import type { Operation } from '@star/testkit';
import type { FaultWindow } from './fault-timeline.js';
import type { OperationNote } from './register-workload.js';

/** Errors that mean "not now, try again": a clean refusal, never a wrong or half answer. */
const cleanErrors = new Set([
  'Unavailable',
  'Timeout',
  'LinkClosed',
  'MisdirectedRequest',
  'StaleTerm',
  'Overloaded',
  'http 503',
]);

export interface OutageCheckOptions {
  leaseMs: number;
  /** How late after a node answered a read its completion may be recorded by the client. */
  deliverySlackMs: number;
  /** Within this long after Redis returns, reads and writes must complete again. */
  resumeWithinMs: number;
}

function completedOk(
  ops: Operation[],
  type: 'read' | 'write' | 'cas',
  from: number,
  to: number,
): Operation[] {
  return ops.filter(
    (op) => op.type === type && op.outcome === 'ok' && op.completedAt >= from && op.completedAt <= to,
  );
}

/**
 * The control-plane outage rules (DESIGN §3.8), checked on the recorded history:
 * - shorter than the lease: the data plane keeps serving — reads and writes complete during the
 *   outage and no read fails;
 * - longer than the lease: once every lease has run out, no read is answered until Redis returns
 *   (a read answered then could be stale); reads that fail, fail cleanly (retryable codes, 503);
 * - after it: reads and writes complete again within `resumeWithinMs`.
 * Returns the violations found, in words (empty when all hold).
 */
export function checkOutages(
  ops: Operation[],
  notes: Map<number, OperationNote>,
  windows: FaultWindow[],
  options: OutageCheckOptions,
): { problems: string[]; findings: string[] } {
  const problems: string[] = [];
  const findings: string[] = [];
  for (const window of windows) {
    const length = Math.round(window.to - window.from);
    if (window.nemesis === 'redis-outage-short') {
      const reads = completedOk(ops, 'read', window.from, window.to).length;
      const writes =
        completedOk(ops, 'write', window.from, window.to).length +
        completedOk(ops, 'cas', window.from, window.to).length;
      const failedReads = ops.filter(
        (op) =>
          op.type === 'read' &&
          op.outcome === 'fail' &&
          op.invokedAt >= window.from &&
          op.invokedAt <= window.to,
      );
      findings.push(`short outage (${length} ms): ${reads} reads and ${writes} writes completed during it`);
      if (reads === 0)
        problems.push(`no read completed during a ${length} ms Redis outage shorter than the lease`);
      if (writes === 0)
        problems.push(`no write completed during a ${length} ms Redis outage shorter than the lease`);
      if (failedReads.length > 0) {
        problems.push(
          `${failedReads.length} reads failed during a Redis outage shorter than the lease (${describe(failedReads, notes)})`,
        );
      }
    }
    if (window.nemesis === 'redis-outage-long') {
      const silentFrom = window.from + options.leaseMs + options.deliverySlackMs;
      const answered = completedOk(ops, 'read', silentFrom, window.to);
      const unclean = ops.filter(
        (op) =>
          op.type === 'read' &&
          op.outcome === 'fail' &&
          op.invokedAt >= window.from &&
          op.invokedAt <= window.to &&
          !cleanErrors.has(notes.get(op.id)?.error ?? ''),
      );
      const resumedReads = completedOk(ops, 'read', window.to, window.to + options.resumeWithinMs).length;
      const resumedWrites =
        completedOk(ops, 'write', window.to, window.to + options.resumeWithinMs).length +
        completedOk(ops, 'cas', window.to, window.to + options.resumeWithinMs).length;
      const failed = ops.filter(
        (op) =>
          op.type === 'read' &&
          op.outcome === 'fail' &&
          op.invokedAt >= window.from &&
          op.invokedAt <= window.to,
      ).length;
      findings.push(
        `long outage (${length} ms): ${answered.length} reads answered after every lease ran out, ` +
          `${failed} reads failed (cleanly: ${failed - unclean.length}); ` +
          `${resumedReads} reads and ${resumedWrites} writes within ${options.resumeWithinMs} ms of Redis returning`,
      );
      if (answered.length > 0) {
        problems.push(
          `${answered.length} reads were answered while Redis was down for longer than the lease ` +
            `(first: operation ${answered[0]!.id})`,
        );
      }
      if (unclean.length > 0) {
        problems.push(
          `${unclean.length} reads failed uncleanly during a long Redis outage (${describe(unclean, notes)})`,
        );
      }
      if (resumedReads === 0 || resumedWrites === 0) {
        problems.push(`reads/writes did not resume within ${options.resumeWithinMs} ms of Redis returning`);
      }
    }
  }
  return { problems, findings };
}

function describe(ops: Operation[], notes: Map<number, OperationNote>): string {
  const counts = new Map<string, number>();
  for (const op of ops) {
    const note = notes.get(op.id);
    const label = note === undefined ? 'no error noted' : `${note.via}: ${note.error}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([label, count]) => `${label} x${count}`).join(', ');
}
