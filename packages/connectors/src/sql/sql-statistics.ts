import type { Column, ColumnStatistics, Scalar, TableSchema } from '../model/table.js';
import type { SqlDialect } from './sql-dialect.js';

const ORDERABLE = new Set(['string', 'integer', 'float', 'timestamp', 'date']);

/**
 * One aggregate query for a table's exact figures: row count, then per column the non-null count,
 * and min/max for orderable types. Aliases are positional (`c0_n`...) so no column name is reused as an alias.
 */
export function statisticsQuery(
  dialect: SqlDialect,
  tableSql: string,
  schema: TableSchema,
  options: { distinct?: boolean } = {},
): string {
  const parts = ['COUNT(*) AS row_count'];
  schema.columns.forEach((column, index) => {
    const name = dialect.quoteIdentifier(column.name);
    parts.push(`COUNT(${name}) AS c${index}_n`);
    if (ORDERABLE.has(column.type))
      parts.push(`MIN(${name}) AS c${index}_min`, `MAX(${name}) AS c${index}_max`);
    if (options.distinct && column.type !== 'json') parts.push(`COUNT(DISTINCT ${name}) AS c${index}_d`);
  });
  return `SELECT ${parts.join(', ')} FROM ${tableSql}`;
}

/** Reads the aggregate row back into per-column statistics. */
export function readStatistics(
  schema: TableSchema,
  row: Record<string, unknown>,
  normalize: (value: unknown, column: Column) => unknown,
): { rowCount: number; columns: Record<string, ColumnStatistics> } {
  const rowCount = Number(row.row_count);
  const columns: Record<string, ColumnStatistics> = {};
  schema.columns.forEach((column, index) => {
    const stats: ColumnStatistics = { nullCount: rowCount - Number(row[`c${index}_n`]) };
    if (`c${index}_min` in row) {
      stats.min = normalize(row[`c${index}_min`], column) as Scalar;
      stats.max = normalize(row[`c${index}_max`], column) as Scalar;
    }
    if (`c${index}_d` in row) stats.distinctCount = Number(row[`c${index}_d`]);
    columns[column.name] = stats;
  });
  return { rowCount, columns };
}
