import type { ColumnType } from '../../model/table.js';
import { doubleQuoted, SQL_OPERATORS, type SqlDialect } from '../../sql/sql-dialect.js';

export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  quoteIdentifier: doubleQuoted,
  placeholder: () => '?',
  // SQLite's LIKE ignores ASCII case: `like` stays with the gateway.
  supportsLike: false,
  comparison: (column, op, param) => `${column} ${op === 'like' ? 'LIKE' : SQL_OPERATORS[op]} ${param}`,
  inList: (column, placeholders) => `${column} IN (${placeholders.join(', ')})`,
  // A case-sensitive prefix test that needs no escaping.
  prefix: (column, next, bind, prefix) => {
    const lengthParam = next();
    bind(prefix.length);
    const valueParam = next();
    bind(prefix);
    return `substr(${column}, 1, ${lengthParam}) = ${valueParam}`;
  },
  orderKey: (column, direction) =>
    `${column} ${direction.toUpperCase()} NULLS ${direction === 'asc' ? 'LAST' : 'FIRST'}`,
  bindValue: (value: unknown, _type: ColumnType) => (typeof value === 'boolean' ? (value ? 1 : 0) : value),
};

/** SQLite's type affinity rules (section 3.1 of its datatype doc), plus names that say boolean or time. */
export function sqliteColumnType(declared: string): ColumnType {
  const type = declared.toUpperCase();
  if (type.includes('BOOL')) return 'boolean';
  if (type.includes('INT')) return 'integer';
  if (type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT')) return 'string';
  if (type === '' || type.includes('BLOB')) return type === '' ? 'string' : 'bytes';
  if (type.includes('REAL') || type.includes('FLOA') || type.includes('DOUB')) return 'float';
  if (type.includes('DATETIME') || type.includes('TIMESTAMP')) return 'timestamp';
  if (type === 'DATE') return 'date';
  if (type.includes('JSON')) return 'json';
  return 'float';
}
