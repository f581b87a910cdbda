import type { ColumnType } from '../../model/table.js';

/** information_schema DATA_TYPE (and COLUMN_TYPE for `tinyint(1)`, MySQL's boolean) to logical types. */
export function mysqlColumnType(dataType: string, columnType: string): ColumnType {
  const type = dataType.toLowerCase();
  if (type === 'tinyint' && /^tinyint\(1\)/i.test(columnType)) return 'boolean';
  if (['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year'].includes(type))
    return 'integer';
  if (['float', 'double', 'decimal', 'numeric', 'real'].includes(type)) return 'float';
  if (type === 'bit' && /^bit\(1\)/i.test(columnType)) return 'boolean';
  if (['datetime', 'timestamp'].includes(type)) return 'timestamp';
  if (type === 'date') return 'date';
  if (type === 'json') return 'json';
  if (['binary', 'varbinary', 'blob', 'tinyblob', 'mediumblob', 'longblob', 'bit'].includes(type))
    return 'bytes';
  return 'string';
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
]);

export function isTransientMysqlError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

/** A DATETIME as the server sends it with `dateStrings` (`2024-01-02 12:30:00`), read as UTC. */
export function mysqlDateTimeToIso(text: string): string {
  const time = Date.parse(`${text.replace(' ', 'T')}Z`);
  return Number.isNaN(time) ? text : new Date(time).toISOString();
}
