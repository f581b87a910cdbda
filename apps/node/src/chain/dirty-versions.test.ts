import type { LogEntry } from '@star/protocol';
import { describe, expect, it } from 'vitest';
import { DirtyVersions } from './dirty-versions.js';

function entry(seq: number, key: string, extra: Partial<LogEntry> = {}): LogEntry {
  return { seq, term: 1, op: 'put', key, createdAt: 0, modifiedAt: 0, modifications: 1, ...extra };
}

describe('DirtyVersions', () => {
  it('finds the newest version of a key at or below a commit point', () => {
    const dirty = new DirtyVersions();
    for (const [seq, key] of [
      [5, 'a'],
      [6, 'b'],
      [7, 'a'],
      [9, 'a'],
    ] as const)
      dirty.add(entry(seq, key));
    expect(dirty.newest('a')?.seq).toBe(9);
    expect(dirty.newestAtOrBelow('a', 8)?.seq).toBe(7);
    expect(dirty.newestAtOrBelow('a', 4)).toBeUndefined();
    expect(dirty.from(6, 2).map((e) => e.seq)).toEqual([6, 7]);
  });

  it('forgets committed and truncated entries, by key and by request id', () => {
    const dirty = new DirtyVersions();
    dirty.add(entry(1, 'a', { clientId: 'c', requestId: 1 }));
    dirty.add(entry(2, 'a', { clientId: 'c', requestId: 2 }));
    dirty.add(entry(3, 'b', { clientId: 'c', requestId: 3 }));
    expect(dirty.takeUpTo(1).map((e) => e.seq)).toEqual([1]);
    expect(dirty.byRequest('c', 1)).toBeUndefined();
    expect(dirty.byRequest('c', 2)?.seq).toBe(2);
    dirty.dropAfter(2);
    expect(dirty.newest('b')).toBeUndefined();
    expect(dirty.byRequest('c', 3)).toBeUndefined();
    expect(dirty.size).toBe(1);
    expect(() => dirty.add(entry(2, 'x'))).toThrow(/not after/);
  });
});
