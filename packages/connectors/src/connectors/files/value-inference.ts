import type { ColumnType } from '../../model/table.js';

const INTEGER = /^-?\d{1,15}$/;
const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** The narrowest type every sample text fits (empty texts are nulls and fit anything). */
export function inferTextType(samples: Iterable<string>): ColumnType {
  const candidates = new Set<ColumnType>(['integer', 'float', 'boolean', 'timestamp', 'date']);
  let seen = false;
  for (const text of samples) {
    if (text === '') continue;
    seen = true;
    if (!INTEGER.test(text)) candidates.delete('integer');
    if (!NUMBER.test(text)) candidates.delete('float');
    if (text !== 'true' && text !== 'false') candidates.delete('boolean');
    if (!TIMESTAMP.test(text)) candidates.delete('timestamp');
    if (!DATE.test(text)) candidates.delete('date');
    if (candidates.size === 0) return 'string';
  }
  if (!seen) return 'string';
  for (const type of ['integer', 'float', 'boolean', 'date', 'timestamp'] as const)
    if (candidates.has(type)) return type;
  return 'string';
}

/** Reads a text as the inferred type; a text that does not fit (past the sample) stays a string. */
export function parseText(text: string, type: ColumnType): unknown {
  if (text === '') return null;
  switch (type) {
    case 'integer':
    case 'float': {
      const value = Number(text);
      return Number.isNaN(value) ? text : value;
    }
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'timestamp': {
      const time = Date.parse(text.includes('T') || !text.includes(' ') ? text : text.replace(' ', 'T'));
      return Number.isNaN(time) ? text : new Date(time).toISOString();
    }
    default:
      return text;
  }
}

/** The logical type of a JSON value as NDJSON holds it. */
export function jsonValueType(value: unknown): ColumnType | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') {
    if (DATE.test(value)) return 'date';
    if (TIMESTAMP.test(value)) return 'timestamp';
    return 'string';
  }
  return 'json';
}

/** Two sample types merged: integers widen to floats, anything else mixed becomes string (or json). */
export function widen(a: ColumnType | undefined, b: ColumnType | undefined): ColumnType | undefined {
  if (a === undefined) return b;
  if (b === undefined || a === b) return a;
  if ((a === 'integer' && b === 'float') || (a === 'float' && b === 'integer')) return 'float';
  if ((a === 'date' && b === 'timestamp') || (a === 'timestamp' && b === 'date')) return 'timestamp';
  if (a === 'json' || b === 'json') return 'json';
  return 'string';
}
