import { describe, expect, it } from 'vitest';
import { checkSet, formatSetCheck, type SetInsert, type SetListing } from './set-check.js';

const ok = (key: string, invokedAt: number, completedAt: number): SetInsert => ({
  key,
  invokedAt,
  completedAt,
  outcome: 'ok',
});
const listing = (
  id: number,
  startedAt: number,
  endedAt: number,
  keys?: string[],
  final = false,
): SetListing => ({
  id,
  via: 'rest',
  startedAt,
  endedAt,
  ...(keys === undefined ? {} : { keys }),
  ...(final ? { final } : {}),
});

describe('set workload checker', () => {
  it('accepts listings that hold every insert acknowledged before they began', () => {
    const inserts = [ok('a', 0, 5), ok('b', 6, 12), { key: 'c', invokedAt: 7, outcome: 'info' as const }];
    // Listing 1 runs while b is in flight: b may or may not be in it; c (unknown) may appear any time.
    const result = checkSet(inserts, [listing(1, 10, 14, ['a']), listing(2, 15, 16, ['a', 'b', 'c'], true)]);
    expect(result.valid).toBe(true);
    expect(result.finalKeys).toBe(3);
    expect(formatSetCheck(result)).toContain('complete');
  });

  it('flags an acknowledged insert missing from the final listing', () => {
    const result = checkSet([ok('a', 0, 5), ok('b', 1, 6)], [listing(1, 10, 11, ['a'], true)]);
    expect(result.valid).toBe(false);
    expect(result.violations).toEqual([expect.objectContaining({ rule: 'complete', key: 'b', listing: 1 })]);
  });

  it('flags a listing during the run that misses an insert acknowledged before it began', () => {
    const result = checkSet([ok('a', 0, 5)], [listing(1, 6, 8, []), listing(2, 20, 21, ['a'], true)]);
    expect(result.violations.map((v) => [v.rule, v.listing])).toEqual([['complete', 1]]);
  });

  it('flags a key seen and then gone (monotonic), even for an insert of unknown outcome', () => {
    const inserts: SetInsert[] = [{ key: 'x', invokedAt: 0, outcome: 'info' }];
    const result = checkSet(inserts, [listing(1, 1, 2, ['x']), listing(2, 3, 4, [])]);
    expect(result.violations).toEqual([expect.objectContaining({ rule: 'monotonic', key: 'x', listing: 2 })]);
  });

  it('does not owe a key seen by a listing that overlapped', () => {
    const inserts: SetInsert[] = [{ key: 'x', invokedAt: 0, outcome: 'info' }];
    expect(checkSet(inserts, [listing(1, 1, 5, ['x']), listing(2, 3, 6, [])]).valid).toBe(true);
  });

  it('flags phantoms: never inserted, listed before invoked, or definitely failed', () => {
    const inserts: SetInsert[] = [
      { key: 'late', invokedAt: 50, outcome: 'info' },
      { key: 'failed', invokedAt: 0, completedAt: 1, outcome: 'fail' },
    ];
    const result = checkSet(inserts, [listing(1, 10, 20, ['failed', 'ghost', 'late'])]);
    expect(result.violations.map((v) => [v.rule, v.key, v.detail])).toEqual([
      ['phantom', 'failed', 'its insert definitely failed'],
      ['phantom', 'ghost', 'no client ever inserted it'],
      ['phantom', 'late', 'listed before its insert was invoked'],
    ]);
  });

  it('flags a key listed twice in one listing', () => {
    const result = checkSet([ok('a', 0, 1)], [listing(1, 2, 3, ['a', 'a'])]);
    expect(result.violations).toEqual([expect.objectContaining({ rule: 'duplicate', key: 'a' })]);
  });

  it('ignores failed listings and counts them', () => {
    const result = checkSet([ok('a', 0, 1)], [listing(1, 2, 3), listing(2, 4, 5, ['a'], true)]);
    expect(result.valid).toBe(true);
    expect(result.listings).toEqual({ ok: 1, failed: 1, final: 1 });
  });

  it('caps the violations it reports but counts them all', () => {
    const inserts = Array.from({ length: 30 }, (_, i) => ok(`k${i}`, 0, 1));
    const result = checkSet(inserts, [listing(1, 2, 3, [], true)]);
    expect(result.violationCount).toBe(30);
    expect(result.violations).toHaveLength(20);
  });
});
