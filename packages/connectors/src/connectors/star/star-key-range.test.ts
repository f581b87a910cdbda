import { describe, expect, it } from 'vitest';
import { starKeyRange } from './star-key-range.js';

describe('starKeyRange', () => {
  it('narrows by prefix and bounds, leaving other terms', () => {
    const other = { op: 'gt' as const, column: 'version', value: 3 };
    const result = starKeyRange({
      op: 'and',
      args: [
        { op: 'prefix', column: 'key', value: 'user:' },
        { op: 'ge', column: 'key', value: 'user:100' },
        { op: 'lt', column: 'key', value: 'user:200' },
        other,
      ],
    });
    expect(result.range).toEqual({ prefix: 'user:', start: 'user:100', end: 'user:200' });
    expect(result.used).toHaveLength(3);
    expect(result.empty).toBe(false);
  });

  it('eq is the one-key range; contradictory bounds are empty', () => {
    expect(starKeyRange({ op: 'eq', column: 'key', value: 'a' }).range).toEqual({ start: 'a', end: 'a\0' });
    expect(
      starKeyRange({
        op: 'and',
        args: [
          { op: 'gt', column: 'key', value: 'b' },
          { op: 'le', column: 'key', value: 'a' },
        ],
      }).empty,
    ).toBe(true);
  });

  it('does not push OR or NOT (they stay with the gateway)', () => {
    const result = starKeyRange({
      op: 'or',
      args: [
        { op: 'eq', column: 'key', value: 'a' },
        { op: 'eq', column: 'key', value: 'b' },
      ],
    });
    expect(result).toEqual({ range: {}, used: [], empty: false });
  });
});
