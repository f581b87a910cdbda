import type { ColumnType, Row } from '../model/table.js';
import type { Predicate } from './predicate.js';
import { compareValues, likeToRegExp } from './value-order.js';

/** SQL's three truth values: a comparison with null is neither true nor false. */
type Truth = boolean | null;

/**
 * Evaluates a predicate on a row with SQL semantics, so what the gateway filters matches what a
 * source would have returned for the same pushed filter. A row is kept only when the result is true.
 */
export function evaluate(predicate: Predicate, row: Row, types: ReadonlyMap<string, ColumnType>): Truth {
  switch (predicate.op) {
    case 'and': {
      let result: Truth = true;
      for (const arg of predicate.args) {
        const value = evaluate(arg, row, types);
        if (value === false) return false;
        if (value === null) result = null;
      }
      return result;
    }
    case 'or': {
      let result: Truth = false;
      for (const arg of predicate.args) {
        const value = evaluate(arg, row, types);
        if (value === true) return true;
        if (value === null) result = null;
      }
      return result;
    }
    case 'not': {
      const value = evaluate(predicate.arg, row, types);
      return value === null ? null : !value;
    }
    case 'isNull':
      return row[predicate.column] === null || row[predicate.column] === undefined;
    default:
      break;
  }
  const actual = row[predicate.column];
  if (actual === null || actual === undefined) return null;
  const type = types.get(predicate.column);
  switch (predicate.op) {
    case 'in': {
      let sawNull = false;
      for (const candidate of predicate.values) {
        if (candidate === null) sawNull = true;
        else if (compareValues(actual, candidate, type) === 0) return true;
      }
      return sawNull ? null : false;
    }
    case 'prefix':
      return String(actual).startsWith(predicate.value);
    case 'like':
      return likeToRegExp(predicate.pattern).test(String(actual));
    default: {
      if (predicate.value === null) return null;
      const order = compareValues(actual, predicate.value, type);
      switch (predicate.op) {
        case 'eq':
          return order === 0;
        case 'ne':
          return order !== 0;
        case 'lt':
          return order < 0;
        case 'le':
          return order <= 0;
        case 'gt':
          return order > 0;
        case 'ge':
          return order >= 0;
      }
    }
  }
}

/** A reusable row test: true only for rows the predicate holds on. */
export function rowFilter(
  predicate: Predicate,
  types: ReadonlyMap<string, ColumnType>,
): (row: Row) => boolean {
  return (row) => evaluate(predicate, row, types) === true;
}
