import type { Column, ColumnType } from '../model/table.js';
import type { ComparisonOp } from '../predicate/predicate.js';

/** The bits of SQL that differ between the SQL sources; everything else is shared by the SELECT builder. */
export interface SqlDialect {
  readonly name: string;
  quoteIdentifier(name: string): string;
  /** The n-th (1-based) parameter placeholder: `$1` or `?`. */
  placeholder(index: number): string;
  /** Whether the source evaluates `like` with the framework's (case-sensitive) semantics. */
  readonly supportsLike: boolean;
  /** `column op param`, made exact where the source's default comparison is not (MySQL's case-insensitive collations). */
  comparison(columnSql: string, op: ComparisonOp | 'like', paramSql: string, column: Column): string;
  /** `column IN (members)`, exact in the same way as `comparison`. */
  inList(columnSql: string, placeholders: string[], column: Column): string;
  /** `column starts with param` (the param is given the raw prefix, not a pattern). */
  prefix(columnSql: string, nextParam: () => string, bind: (value: unknown) => void, prefix: string): string;
  /** `column direction` with nulls last ascending and first descending. */
  orderKey(columnSql: string, direction: 'asc' | 'desc', column: Column): string;
  /** A filter value as the driver should bind it for a column of this type. */
  bindValue(value: unknown, type: ColumnType): unknown;
}

export const SQL_OPERATORS: Record<ComparisonOp, string> = {
  eq: '=',
  ne: '<>',
  lt: '<',
  le: '<=',
  gt: '>',
  ge: '>=',
};

export function doubleQuoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function backQuoted(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}
