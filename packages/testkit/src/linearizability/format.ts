import type { CheckResult } from './check.js';
import type { Operation } from './history.js';
import { describeValue } from './register-model.js';

/** `1 operation`, `2 operations`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function formatTime(time: number): string {
  return Number.isInteger(time) ? String(time) : time.toFixed(3);
}

function describeCondition(input: { expectedVersion?: number; mustNotExist?: boolean }): string {
  const conditions: string[] = [];
  if (input.mustNotExist) conditions.push('absent');
  if (input.expectedVersion !== undefined) conditions.push(`v${input.expectedVersion}`);
  return conditions.length === 0 ? '' : ` if ${conditions.join(' and ')}`;
}

function describeResult(op: Operation): string {
  if (op.outcome === 'info') return 'info (indeterminate)';
  if (op.outcome === 'fail') {
    const notes: string[] = [];
    if (op.type === 'cas' || op.type === 'delete') {
      notes.push(op.output?.preconditionFailed === false ? 'not its precondition' : 'precondition');
    }
    if (op.output?.error !== undefined) notes.push(op.output.error);
    return notes.length === 0 ? 'fail' : `fail (${notes.join(': ')})`;
  }
  switch (op.type) {
    case 'read':
      return `${describeValue(op.output.value)}${op.output.version === undefined ? '' : ` v${op.output.version}`}`;
    case 'write':
    case 'cas':
      return `ok v${op.output.version}`;
    case 'delete':
      return `ok${op.output.version === undefined ? '' : ` v${op.output.version}`}`;
  }
}

/** One line for an operation, e.g. `#12 client 3 key "k" cas "b" if v7 → ok v9 [10.250, 11.500]`. */
export function describeOperation(op: Operation): string {
  let action: string;
  switch (op.type) {
    case 'read':
      action = 'read';
      break;
    case 'write':
      action = `write ${describeValue(op.input.value)}`;
      break;
    case 'cas':
      action = `cas ${describeValue(op.input.value)}${describeCondition(op.input)}`;
      break;
    case 'delete':
      action = `delete${describeCondition(op.input)}`;
      break;
  }
  const end = op.outcome === 'info' ? '∞)' : `${formatTime(op.completedAt)}]`;
  return `#${op.id} client ${op.client} key ${JSON.stringify(op.key)} ${action} → ${describeResult(op)} [${formatTime(op.invokedAt)}, ${end}`;
}

/** The result as the fault suite prints it: the verdict, then each failure with its operations. */
export function formatCheckResult(result: CheckResult): string {
  const lines = [
    `linearizability: ${result.verdict} (${count(result.operations, 'operation')} on ${count(result.keys, 'key')}, checked in ${Math.round(result.elapsedMs)} ms)`,
  ];
  for (const failure of result.failures) {
    lines.push('', failure.explanation, 'Operations involved:');
    for (const op of failure.operations) lines.push(`  ${describeOperation(op)}`);
  }
  if (result.unknownKeys.length > 0) {
    lines.push(
      '',
      `The time budget ran out on keys ${result.unknownKeys.map((key) => JSON.stringify(key)).join(', ')}.`,
    );
  }
  return lines.join('\n');
}
