import type { ColumnType } from '../../model/table.js';
import { likePrefix } from '../../sql/select-builder.js';
import { doubleQuoted, SQL_OPERATORS, type SqlDialect } from '../../sql/sql-dialect.js';

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  quoteIdentifier: doubleQuoted,
  placeholder: (index) => `$${index}`,
  // LIKE is case-sensitive in PostgreSQL.
  supportsLike: true,
  comparison: (column, op, param) => `${column} ${op === 'like' ? 'LIKE' : SQL_OPERATORS[op]} ${param}`,
  inList: (column, placeholders) => `${column} IN (${placeholders.join(', ')})`,
  prefix: (column, next, bind, prefix) => likePrefix(column, next, bind, prefix),
  orderKey: (column, direction) =>
    `${column} ${direction.toUpperCase()} NULLS ${direction === 'asc' ? 'LAST' : 'FIRST'}`,
  bindValue: (value: unknown, _type: ColumnType) => value,
};
