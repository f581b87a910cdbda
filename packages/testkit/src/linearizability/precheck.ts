/**
 * Quick necessary conditions on one key's history, checked before the search: a read must have a
 * possible source for its value. They catch a read of a value nobody wrote at once, where the
 * search would have to try every order of the indeterminate operations before giving up.
 */
import { describeOperation } from './format.js';
import type { Operation } from './history.js';
import { describeValue } from './register-model.js';

export interface ImpossibleRead {
  read: Operation;
  explanation: string;
  /** The operations that bear on it: the read and the writes it rules out as sources. */
  related: Operation[];
}

/** Reads of one key whose value no operation invoked before the read completed could have written. */
export function findImpossibleReads(ops: readonly Operation[]): ImpossibleRead[] {
  // The earliest invocation of a write or cas of each value, and of a delete.
  const firstWriteOf = new Map<string, number>();
  let firstDelete = Number.POSITIVE_INFINITY;
  // Completed writes and cas (values) by completion: the key existed after the first of them.
  let firstCompletedWrite: Operation | undefined;
  for (const op of ops) {
    if (op.type === 'read' || op.outcome === 'fail') continue;
    if (op.type === 'delete') {
      firstDelete = Math.min(firstDelete, op.invokedAt);
      continue;
    }
    const value = op.input.value;
    firstWriteOf.set(value, Math.min(firstWriteOf.get(value) ?? Number.POSITIVE_INFINITY, op.invokedAt));
    if (
      op.outcome === 'ok' &&
      (firstCompletedWrite === undefined || op.completedAt < firstCompletedWrite.completedAt!)
    ) {
      firstCompletedWrite = op;
    }
  }
  const impossible: ImpossibleRead[] = [];
  for (const read of ops) {
    if (read.type !== 'read' || read.outcome !== 'ok') continue;
    const value = read.output.value;
    if (value !== null) {
      if ((firstWriteOf.get(value) ?? Number.POSITIVE_INFINITY) <= read.completedAt) continue;
      const later = ops.filter(
        (op) => (op.type === 'write' || op.type === 'cas') && op.input.value === value,
      );
      impossible.push({
        read,
        explanation:
          later.length === 0
            ? `${describeOperation(read)}: no operation ever wrote ${describeValue(value)} to this key`
            : `${describeOperation(read)}: no operation invoked before the read completed wrote ${describeValue(value)} (the first was invoked later)`,
        related: [read, ...later.slice(0, 3)],
      });
      continue;
    }
    // Absent: never written yet, or deleted.
    const written = firstCompletedWrite !== undefined && firstCompletedWrite.completedAt! < read.invokedAt;
    if (!written || firstDelete <= read.completedAt) continue;
    impossible.push({
      read,
      explanation: `${describeOperation(read)}: the key existed since ${describeOperation(firstCompletedWrite!)}, and no delete was invoked before the read completed`,
      related: [firstCompletedWrite!, read],
    });
  }
  return impossible;
}
