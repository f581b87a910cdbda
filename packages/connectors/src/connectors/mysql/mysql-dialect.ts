import type { Column, ColumnType } from '../../model/table.js';
import { likePrefix } from '../../sql/select-builder.js';
import { backQuoted, SQL_OPERATORS, type SqlDialect } from '../../sql/sql-dialect.js';

/**
 * MySQL/MariaDB compare strings with the column's collation, usually case- and trailing-space-
 * insensitive; BINARY makes comparisons, LIKE and ordering byte-exact, matching the framework's
 * semantics and what the gateway would compute itself.
 */
const exact = (placeholder: string, column: Column) =>
  column.type === 'string' ? `BINARY ${placeholder}` : placeholder;

export const mysqlDialect: SqlDialect = {
  name: 'mysql',
  quoteIdentifier: backQuoted,
  placeholder: () => '?',
  supportsLike: true,
  comparison: (columnSql, op, param, column) =>
    op === 'like'
      ? `${columnSql} LIKE BINARY ${param}`
      : `${columnSql} ${SQL_OPERATORS[op]} ${exact(param, column)}`,
  inList: (columnSql, placeholders, column) =>
    `${columnSql} IN (${placeholders.map((placeholder) => exact(placeholder, column)).join(', ')})`,
  prefix: (columnSql, next, bind, prefix) => likePrefix(columnSql, next, bind, prefix, (p) => `BINARY ${p}`),
  // MySQL sorts nulls first ascending; `IS NULL` first puts them where the other sources do.
  orderKey: (columnSql, direction, column) => {
    const key = column.type === 'string' ? `BINARY ${columnSql}` : columnSql;
    return direction === 'asc'
      ? `${columnSql} IS NULL, ${key} ASC`
      : `${columnSql} IS NULL DESC, ${key} DESC`;
  },
  bindValue: (value: unknown, type: ColumnType) => {
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (type === 'timestamp' && typeof value === 'string') {
      // DATETIME literals have no zone: the connector reads and writes them as UTC.
      return new Date(value).toISOString().replace('T', ' ').replace('Z', '');
    }
    return value;
  },
};
