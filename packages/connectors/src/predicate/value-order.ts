import type { ColumnType } from '../model/table.js';

/**
 * Orders two non-null values of one column the way the sources do: numbers numerically,
 * timestamps and dates by instant, strings by code unit (the C collation), false before true.
 */
export function compareValues(left: unknown, right: unknown, type: ColumnType | undefined): number {
  if (type === 'timestamp' || type === 'date') {
    const a = typeof left === 'string' ? Date.parse(left) : Number(left);
    const b = typeof right === 'string' ? Date.parse(right) : Number(right);
    return a === b ? 0 : a < b ? -1 : 1;
  }
  if (typeof left === 'number' && typeof right === 'number')
    return left === right ? 0 : left < right ? -1 : 1;
  if (typeof left === 'boolean' && typeof right === 'boolean') return Number(left) - Number(right);
  const a = String(left);
  const b = String(right);
  return a === b ? 0 : a < b ? -1 : 1;
}

/** Turns a SQL LIKE pattern (`%`, `_`, `\` escape) into an anchored, case-sensitive RegExp. */
export function likeToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '\\' && i + 1 < pattern.length) {
      source += escapeRegExp(pattern[++i]!);
    } else if (char === '%') source += '.*';
    else if (char === '_') source += '.';
    else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Escapes LIKE's special characters so a literal prefix can be matched with `LIKE 'prefix%'`. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}
