import { StarError } from '@star/protocol';
import { type Column, type ColumnType, columnOf, type TableSchema, tableName } from '../model/table.js';
import type { Predicate } from './predicate.js';

const ORDERABLE: ReadonlySet<ColumnType> = new Set([
  'string',
  'integer',
  'float',
  'boolean',
  'timestamp',
  'date',
]);

/**
 * Checks a filter against a table before anything reaches a source: every column must exist and
 * every value must fit its column's type, so `{ op: 'gt', column: 'age', value: 'old' }` is a 400
 * naming `age`, not a source error halfway through a stream.
 */
export function checkPredicate(predicate: Predicate, schema: TableSchema): void {
  switch (predicate.op) {
    case 'and':
    case 'or':
      for (const arg of predicate.args) checkPredicate(arg, schema);
      return;
    case 'not':
      checkPredicate(predicate.arg, schema);
      return;
    default:
      break;
  }
  const column = columnOf(schema, predicate.column);
  if (!column) {
    throw new StarError(
      'BadRequest',
      `filter: table ${tableName(schema)} has no column "${predicate.column}"`,
      {
        column: predicate.column,
      },
    );
  }
  switch (predicate.op) {
    case 'isNull':
      return;
    case 'prefix':
    case 'like':
      if (column.type !== 'string') {
        throw typeError(
          predicate.op,
          column,
          `needs a string column, but "${column.name}" is ${column.type}`,
        );
      }
      return;
    case 'in':
      for (const value of predicate.values) checkValue(predicate.op, column, value);
      return;
    default:
      if (!ORDERABLE.has(column.type) && predicate.op !== 'eq' && predicate.op !== 'ne') {
        throw typeError(predicate.op, column, `cannot order values of type ${column.type}`);
      }
      checkValue(predicate.op, column, predicate.value);
  }
}

function checkValue(op: string, column: Column, value: unknown): void {
  if (value === null) return;
  const fits = (() => {
    switch (column.type) {
      case 'integer':
        return typeof value === 'number' && Number.isInteger(value);
      case 'float':
        return typeof value === 'number' && Number.isFinite(value);
      case 'boolean':
        return typeof value === 'boolean';
      case 'timestamp':
      case 'date':
        return typeof value === 'string' && !Number.isNaN(Date.parse(value));
      case 'string':
      case 'bytes':
        return typeof value === 'string';
      case 'json':
        return false;
    }
  })();
  if (!fits) {
    throw typeError(
      op,
      column,
      `value ${JSON.stringify(value)} does not fit column "${column.name}" of type ${column.type}`,
    );
  }
}

function typeError(op: string, column: Column, detail: string): StarError {
  return new StarError('BadRequest', `filter ${op}: ${detail}`, { column: column.name, type: column.type });
}
