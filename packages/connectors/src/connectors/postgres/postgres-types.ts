import pg from 'pg';
import type { ColumnType } from '../../model/table.js';

/** PostgreSQL type names (information_schema `udt_name`) to logical types. */
export function postgresColumnType(udtName: string): ColumnType {
  switch (udtName) {
    case 'int2':
    case 'int4':
    case 'int8':
    case 'oid':
      return 'integer';
    case 'float4':
    case 'float8':
    case 'numeric':
    case 'money':
      return 'float';
    case 'bool':
      return 'boolean';
    case 'timestamp':
    case 'timestamptz':
      return 'timestamp';
    case 'date':
      return 'date';
    case 'bytea':
      return 'bytes';
    case 'json':
    case 'jsonb':
      return 'json';
    default:
      return 'string';
  }
}

const { builtins } = pg.types;

/**
 * How the pool decodes values: integers as numbers (int8 as a string only past 2^53), numerics as
 * numbers, timestamps as ISO-8601 UTC strings (a timestamp without time zone is read as UTC), dates
 * as `YYYY-MM-DD`. Everything else keeps node-postgres's default.
 */
export const postgresTypeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    switch (oid) {
      case builtins.INT8:
        return (text: string) => {
          const value = Number(text);
          return Number.isSafeInteger(value) ? value : text;
        };
      case builtins.NUMERIC:
        return (text: string) => Number(text);
      case builtins.TIMESTAMP:
        return (text: string) => toIso(`${text.replace(' ', 'T')}Z`, text);
      case builtins.TIMESTAMPTZ:
        return (text: string) => toIso(text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'), text);
      case builtins.DATE:
        return (text: string) => text;
      default:
        return pg.types.getTypeParser(oid, format ?? 'text');
    }
  },
} as pg.CustomTypesConfig;

function toIso(candidate: string, original: string): string {
  const time = Date.parse(candidate);
  // infinity / BC dates: keep PostgreSQL's own text.
  return Number.isNaN(time) ? original : new Date(time).toISOString();
}

/** Error codes that are worth retrying: connection loss, server shutting down or starting, too many clients. */
const TRANSIENT_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

export function isTransientPostgresError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TRANSIENT_SQLSTATES.has(code)) return true;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    return [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'EAI_AGAIN',
    ].includes(code);
  }
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection timeout/i.test(message);
}
