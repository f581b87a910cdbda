import { describe, expect, it } from 'vitest';
import type { ColumnType } from '../model/table.js';
import { evaluate } from './evaluate.js';
import { likeToRegExp } from './value-order.js';

const types = new Map<string, ColumnType>([
  ['n', 'integer'],
  ['s', 'string'],
  ['t', 'timestamp'],
]);

describe('evaluate (SQL three-valued logic)', () => {
  it('comparisons with null are unknown, and NOT unknown stays unknown', () => {
    const row = { n: null, s: 'a' };
    expect(evaluate({ op: 'eq', column: 'n', value: 1 }, row, types)).toBeNull();
    expect(evaluate({ op: 'ne', column: 'n', value: 1 }, row, types)).toBeNull();
    expect(evaluate({ op: 'not', arg: { op: 'eq', column: 'n', value: 1 } }, row, types)).toBeNull();
    expect(evaluate({ op: 'eq', column: 's', value: null }, row, types)).toBeNull();
    expect(evaluate({ op: 'isNull', column: 'n' }, row, types)).toBe(true);
  });

  it('AND is false if any is false, OR true if any is true, whatever the unknowns', () => {
    const row = { n: null, s: 'a' };
    const unknown = { op: 'gt' as const, column: 'n', value: 0 };
    expect(evaluate({ op: 'and', args: [unknown, { op: 'eq', column: 's', value: 'b' }] }, row, types)).toBe(
      false,
    );
    expect(
      evaluate({ op: 'and', args: [unknown, { op: 'eq', column: 's', value: 'a' }] }, row, types),
    ).toBeNull();
    expect(evaluate({ op: 'or', args: [unknown, { op: 'eq', column: 's', value: 'a' }] }, row, types)).toBe(
      true,
    );
    expect(
      evaluate({ op: 'or', args: [unknown, { op: 'eq', column: 's', value: 'b' }] }, row, types),
    ).toBeNull();
  });

  it('IN with a null member is unknown when nothing matches', () => {
    expect(evaluate({ op: 'in', column: 'n', values: [1, null] }, { n: 2 }, types)).toBeNull();
    expect(evaluate({ op: 'in', column: 'n', values: [2, null] }, { n: 2 }, types)).toBe(true);
  });

  it('timestamps compare by instant, not by text', () => {
    const row = { t: '2024-01-01T10:00:00.000Z' };
    expect(evaluate({ op: 'eq', column: 't', value: '2024-01-01T11:00:00+01:00' }, row, types)).toBe(true);
    expect(evaluate({ op: 'lt', column: 't', value: '2024-01-01T10:00:01Z' }, row, types)).toBe(true);
  });

  it('LIKE: % and _ wildcards, backslash escapes, case-sensitive, anchored', () => {
    expect(likeToRegExp('a%c').test('abbbc')).toBe(true);
    expect(likeToRegExp('a_c').test('abbc')).toBe(false);
    expect(likeToRegExp('a\\%').test('a%')).toBe(true);
    expect(likeToRegExp('a\\%').test('ab')).toBe(false);
    expect(likeToRegExp('A%').test('abc')).toBe(false);
    expect(likeToRegExp('.*').test('xyz')).toBe(false);
  });
});
