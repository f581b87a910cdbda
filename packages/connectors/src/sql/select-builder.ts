import { StarError } from '@star/protocol';
import type { ScanSpec } from '../model/connector.js';
import { columnOf, type TableSchema } from '../model/table.js';
import { everyLeaf, type Predicate } from '../predicate/predicate.js';
import { escapeLike } from '../predicate/value-order.js';
import type { SqlDialect } from './sql-dialect.js';

/** A statement with its values kept apart: the only form in which SQL connectors talk to a source. */
export interface ParameterizedSql {
  sql: string;
  params: unknown[];
}

const UNFILTERABLE = new Set(['json', 'bytes']);

/** Whether a SQL source can evaluate a whole filter term (every leaf on a comparable column, `like` if supported). */
export function canPushToSql(dialect: SqlDialect, table: TableSchema, term: Predicate): boolean {
  return everyLeaf(term, (leaf) => {
    if (!('column' in leaf)) return true;
    const column = columnOf(table, leaf.column);
    if (!column) return false;
    if (leaf.op === 'isNull') return true;
    if (leaf.op === 'like' && !dialect.supportsLike) return false;
    return !UNFILTERABLE.has(column.type);
  });
}

/**
 * Builds the SELECT for a negotiated scan. Identifiers are quoted by the dialect (they come from the
 * source's own catalog, checked by the planner); every value, the limit included, is a parameter.
 */
export function buildSelect(dialect: SqlDialect, tableSql: string, spec: ScanSpec): ParameterizedSql {
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
  };
  const next = () => dialect.placeholder(params.length + 1);
  const param = (value: unknown) => {
    const placeholder = next();
    bind(value);
    return placeholder;
  };
  const columns =
    spec.columns.length > 0 ? spec.columns.map((name) => dialect.quoteIdentifier(name)).join(', ') : '1';
  let sql = `SELECT ${columns} FROM ${tableSql}`;
  if (spec.filter) sql += ` WHERE ${predicateSql(dialect, spec.table, spec.filter, param, next, bind)}`;
  if (spec.orderBy && spec.orderBy.length > 0) {
    const keys = spec.orderBy.map((key) => {
      const column = columnOf(spec.table, key.column);
      if (!column) throw new StarError('BadRequest', `no column "${key.column}"`);
      return dialect.orderKey(dialect.quoteIdentifier(column.name), key.direction, column);
    });
    sql += ` ORDER BY ${keys.join(', ')}`;
  }
  if (spec.limit !== undefined) sql += ` LIMIT ${param(spec.limit)}`;
  return { sql, params };
}

function predicateSql(
  dialect: SqlDialect,
  table: TableSchema,
  predicate: Predicate,
  param: (value: unknown) => string,
  next: () => string,
  bind: (value: unknown) => void,
): string {
  const recurse = (inner: Predicate) => predicateSql(dialect, table, inner, param, next, bind);
  switch (predicate.op) {
    case 'and':
      return `(${predicate.args.map(recurse).join(' AND ')})`;
    case 'or':
      return `(${predicate.args.map(recurse).join(' OR ')})`;
    case 'not':
      return `(NOT ${recurse(predicate.arg)})`;
    default:
      break;
  }
  const column = columnOf(table, predicate.column);
  if (!column) throw new StarError('BadRequest', `no column "${predicate.column}"`);
  const columnSql = dialect.quoteIdentifier(column.name);
  const value = (raw: unknown) => param(raw === null ? null : dialect.bindValue(raw, column.type));
  switch (predicate.op) {
    case 'isNull':
      return `${columnSql} IS NULL`;
    case 'in':
      return dialect.inList(columnSql, predicate.values.map(value), column);
    case 'prefix':
      return dialect.prefix(columnSql, next, bind, predicate.value);
    case 'like':
      return dialect.comparison(columnSql, 'like', param(predicate.pattern), column);
    default:
      return dialect.comparison(columnSql, predicate.op, value(predicate.value), column);
  }
}

/** `LIKE` prefix pattern for dialects whose LIKE is case-sensitive. */
export function likePrefix(
  columnSql: string,
  next: () => string,
  bind: (value: unknown) => void,
  prefix: string,
  wrap: (placeholder: string) => string = (p) => p,
): string {
  const placeholder = next();
  bind(`${escapeLike(prefix)}%`);
  // Backslash is LIKE's default escape character in PostgreSQL and MySQL alike.
  return `${columnSql} LIKE ${wrap(placeholder)}`;
}
