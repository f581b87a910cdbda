import { describe, expect, it } from 'vitest';
import { checkHistory } from './check.js';
import { formatCheckResult } from './format.js';
import { HistoryFormatError, type Operation } from './history.js';
import { simulateHistory } from './simulate.js';
import { TestHistory } from './test-history.js';

const history = () => new TestHistory();

function verdict(ops: Operation[], options?: Parameters<typeof checkHistory>[1]) {
  return checkHistory(ops, options).verdict;
}

describe('checkHistory: reads and writes', () => {
  it('an empty history is linearizable', () => {
    expect(checkHistory([])).toMatchObject({ verdict: 'linearizable', keys: 0, operations: 0, failures: [] });
  });

  it('accepts a sequential write then a read of its value', () => {
    const h = history().write([0, 1], 'a', 1).read([2, 3], 'a', 1);
    expect(checkHistory(h.ops)).toMatchObject({ verdict: 'linearizable', keys: 1, operations: 2 });
  });

  it('accepts reads of a key never written as absent', () => {
    expect(verdict(history().read([0, 1], null).write([2, 3], 'a', 1).ops)).toBe('linearizable');
  });

  it('rejects a read of a value never written', () => {
    const result = checkHistory(history().write([0, 1], 'a', 1).read([2, 3], 'b').ops);
    expect(result.verdict).toBe('not-linearizable');
    expect(result.failures[0]!.explanation).toContain('no operation ever wrote "b" to this key');
  });

  it('rejects a read that misses a write completed before it', () => {
    const result = checkHistory(history().write([0, 1], 'a', 1).read([2, 3], null).ops);
    expect(result.verdict).toBe('not-linearizable');
    expect(result.failures[0]!.explanation).toContain(
      '#1 client 1 key "k" read → absent [2, 3]: the key existed since #0 client 0 key "k" write "a" → ok v1 [0, 1], and no delete was invoked before the read completed',
    );
  });

  it('rejects a stale read after a newer write completed', () => {
    const h = history().write([0, 1], 'A', 1).write([2, 3], 'B', 2).read([4, 5], 'A');
    const result = checkHistory(h.ops);
    expect(result.verdict).toBe('not-linearizable');
    expect(result.failures).toHaveLength(1);
    const [failure] = result.failures;
    expect(failure!.key).toBe('k');
    expect(failure!.explanation).toContain('key "k": not linearizable');
    expect(failure!.explanation).toContain(
      '#2 client 2 key "k" read → "A" [4, 5]: it read "A", but the register held "B" @v2',
    );
    expect(failure!.operations.map((op) => op.id)).toEqual([0, 1, 2]);
    // When the read reports its version, the write of B is what it cannot get past.
    const versioned = history().write([0, 1], 'A', 1).write([2, 3], 'B', 2).read([4, 5], 'A', 1);
    const [why] = checkHistory(versioned.ops).failures;
    expect(why!.explanation).toContain(
      '#2 client 2 key "k" read → "A" v1 [4, 5] never could: it read version 1',
    );
    expect(why!.operations.map((op) => op.id)).toEqual([0, 1, 2]);
  });

  it('accepts a read concurrent with a write seeing either the old or the new value', () => {
    const base = () => history().write([0, 1], 'old', 1);
    expect(verdict(base().write([2, 6], 'new', 2).read([3, 5], 'old', 1).ops)).toBe('linearizable');
    expect(verdict(base().write([2, 6], 'new', 2).read([3, 5], 'new', 2).ops)).toBe('linearizable');
    // The read may also start before and end after the write.
    expect(verdict(base().read([2, 9], 'new', 2).write([3, 4], 'new', 2).ops)).toBe('linearizable');
  });

  it('rejects new-then-old reads that both overlap a write but not each other', () => {
    const h = history()
      .write([0, 1], 'old', 1)
      .write([2, 10], 'new', 2)
      .read([3, 4], 'new', 2) // completes before the next read starts
      .read([5, 6], 'old', 1);
    expect(verdict(h.ops)).toBe('not-linearizable');
    // Overlapping each other, the read of the old value can take effect first.
    const overlapping = history()
      .write([0, 1], 'old', 1)
      .write([2, 10], 'new', 2)
      .read([3, 6], 'new')
      .read([4, 7], 'old');
    expect(verdict(overlapping.ops)).toBe('linearizable');
  });

  it('orders concurrent writes as a later read requires', () => {
    const h = history().write([0, 5], 'a', 1).write([1, 6], 'b', 2).read([7, 8], 'b', 2);
    expect(verdict(h.ops)).toBe('linearizable');
    // The versions say a then b: a read after both cannot see a.
    const stale = history().write([0, 5], 'a', 1).write([1, 6], 'b', 2).read([7, 8], 'a');
    expect(verdict(stale.ops)).toBe('not-linearizable');
  });

  it('ignores failed reads and writes: they had no effect', () => {
    const h = history().write([0, 1], 'a', 1).writeFail([2, 3], 'b').read([4, 5], 'a', 1);
    expect(verdict(h.ops)).toBe('linearizable');
    const seen = history().write([0, 1], 'a', 1).writeFail([2, 3], 'b').read([4, 5], 'b');
    expect(verdict(seen.ops)).toBe('not-linearizable');
  });

  it('treats operations that touch at one instant as concurrent', () => {
    expect(verdict(history().write([0, 2], 'a', 1).read([2, 3], null).ops)).toBe('linearizable');
  });
});

describe('checkHistory: versions', () => {
  it('accepts reads that report the version of the value they read', () => {
    const h = history().write([0, 1], 'a', 4).write([2, 3], 'b', 9).read([4, 5], 'b', 9);
    expect(verdict(h.ops)).toBe('linearizable');
  });

  it('rejects a read returning a version lower than an earlier completed write', () => {
    const h = history().write([0, 1], 'a', 4).write([2, 3], 'b', 9).read([4, 5], 'b', 4);
    expect(verdict(h.ops)).toBe('not-linearizable');
  });

  it('rejects a write whose version is not above the version it overwrote', () => {
    expect(verdict(history().write([0, 1], 'a', 5).write([2, 3], 'b', 3).ops)).toBe('not-linearizable');
    expect(verdict(history().write([0, 1], 'a', 5).write([2, 3], 'b', 5).ops)).toBe('not-linearizable');
    // Versions need not be dense per key.
    expect(verdict(history().write([0, 1], 'a', 5).write([2, 3], 'b', 17).ops)).toBe('linearizable');
  });

  it('rejects two concurrent writes with the same version', () => {
    expect(verdict(history().write([0, 3], 'a', 5).write([1, 2], 'b', 5).ops)).toBe('not-linearizable');
  });

  it('rejects a read seeing the right value at a different version', () => {
    expect(verdict(history().write([0, 1], 'a', 5).read([2, 3], 'a', 6).ops)).toBe('not-linearizable');
  });
});

describe('checkHistory: cas', () => {
  it('accepts a cas that succeeds on the current version', () => {
    const h = history()
      .write([0, 1], 'a', 1)
      .cas([2, 3], 'b', { expectedVersion: 1 }, 2)
      .read([4, 5], 'b', 2);
    expect(verdict(h.ops)).toBe('linearizable');
  });

  it('rejects a cas reported ok while the version was different', () => {
    const h = history()
      .write([0, 1], 'a', 1)
      .write([2, 3], 'b', 2)
      .cas([4, 5], 'c', { expectedVersion: 1 }, 3);
    const result = checkHistory(h.ops);
    expect(result.verdict).toBe('not-linearizable');
    expect(result.failures[0]!.explanation).toContain(
      'cas "c" if v1 → ok v3 [4, 5] never could: it needs version 1',
    );
  });

  it('rejects a cas that failed while its expected version was surely current', () => {
    const h = history().write([0, 1], 'a', 1).cas([2, 3], 'b', { expectedVersion: 1 }, 'fail');
    expect(verdict(h.ops)).toBe('not-linearizable');
  });

  it('accepts a cas that failed on a stale version, and ignores failures of another kind', () => {
    const stale = history()
      .write([0, 1], 'a', 1)
      .write([2, 3], 'b', 2)
      .cas([4, 5], 'c', { expectedVersion: 1 }, 'fail');
    expect(verdict(stale.ops)).toBe('linearizable');
    const other = history().write([0, 1], 'a', 1).ops;
    other.push({
      id: 1,
      client: 1,
      key: 'k',
      type: 'cas',
      input: { value: 'b', expectedVersion: 1 },
      outcome: 'fail',
      output: { preconditionFailed: false, error: 'NotHead' },
      invokedAt: 2,
      completedAt: 3,
    });
    expect(verdict(other)).toBe('linearizable');
  });

  it('accepts a cas failure explained by a concurrent write', () => {
    const h = history()
      .write([0, 1], 'a', 1)
      .write([2, 6], 'b', 2)
      .cas([3, 5], 'c', { expectedVersion: 1 }, 'fail');
    expect(verdict(h.ops)).toBe('linearizable');
  });

  it('checks create-only (mustNotExist) cas against existence', () => {
    expect(verdict(history().cas([0, 1], 'a', { mustNotExist: true }, 1).read([2, 3], 'a', 1).ops)).toBe(
      'linearizable',
    );
    expect(verdict(history().write([0, 1], 'a', 1).cas([2, 3], 'b', { mustNotExist: true }, 2).ops)).toBe(
      'not-linearizable',
    );
    expect(verdict(history().cas([0, 1], 'a', { mustNotExist: true }, 'fail').ops)).toBe('not-linearizable');
    expect(
      verdict(history().write([0, 1], 'a', 1).cas([2, 3], 'b', { mustNotExist: true }, 'fail').ops),
    ).toBe('linearizable');
  });

  it('never lets a cas on a version succeed on an absent key', () => {
    expect(verdict(history().cas([0, 1], 'a', { expectedVersion: 0 }, 1).ops)).toBe('not-linearizable');
    const deleted = history()
      .write([0, 1], 'a', 1)
      .delete([2, 3], 2)
      .cas([4, 5], 'b', { expectedVersion: 2 }, 3);
    expect(verdict(deleted.ops)).toBe('not-linearizable');
  });

  it('orders two racing cas on one version: only one can win', () => {
    const base = () => history().write([0, 1], 'a', 1);
    const oneWins = base()
      .cas([2, 5], 'b', { expectedVersion: 1 }, 2)
      .cas([3, 6], 'c', { expectedVersion: 1 }, 'fail');
    expect(verdict(oneWins.ops)).toBe('linearizable');
    const bothWin = base()
      .cas([2, 5], 'b', { expectedVersion: 1 }, 2)
      .cas([3, 6], 'c', { expectedVersion: 1 }, 3);
    expect(verdict(bothWin.ops)).toBe('not-linearizable');
  });
});

describe('checkHistory: deletes', () => {
  it('accepts a delete then reads of absence', () => {
    const h = history().write([0, 1], 'a', 1).delete([2, 3], 2).read([4, 5], null).write([6, 7], 'b', 3);
    expect(verdict(h.ops)).toBe('linearizable');
  });

  it('rejects a read of a deleted value and a write not above the tombstone', () => {
    expect(verdict(history().write([0, 1], 'a', 1).delete([2, 3], 2).read([4, 5], 'a').ops)).toBe(
      'not-linearizable',
    );
    expect(verdict(history().write([0, 1], 'a', 1).delete([2, 3], 5).write([4, 5], 'b', 4).ops)).toBe(
      'not-linearizable',
    );
  });

  it('checks delete failures: absent key or version mismatch', () => {
    expect(verdict(history().delete([0, 1], 'fail').ops)).toBe('linearizable');
    expect(verdict(history().write([0, 1], 'a', 1).delete([2, 3], 'fail').ops)).toBe('not-linearizable');
    expect(verdict(history().write([0, 1], 'a', 1).delete([2, 3], 'fail', { expectedVersion: 7 }).ops)).toBe(
      'linearizable',
    );
    expect(verdict(history().write([0, 1], 'a', 1).delete([2, 3], 'fail', { expectedVersion: 1 }).ops)).toBe(
      'not-linearizable',
    );
    expect(verdict(history().write([0, 1], 'a', 1).delete([2, 3], 2, { expectedVersion: 1 }).ops)).toBe(
      'linearizable',
    );
  });

  it('rejects a successful delete of an absent key, unless told deletes of absent keys succeed', () => {
    const h = history().delete([0, 1], 'ok').read([2, 3], null);
    expect(verdict(h.ops)).toBe('not-linearizable');
    expect(verdict(h.ops, { deleteOfAbsentKey: 'succeeds' })).toBe('linearizable');
  });

  it('pins down the unknown version of a delete that did not report one', () => {
    // The tombstone took a version of at least 2, so the next write is at 3 or more.
    const next = (version: number) =>
      history().write([0, 1], 'a', 1).delete([2, 3], 'ok').write([4, 5], 'b', version);
    expect(verdict(next(3).ops)).toBe('linearizable');
    expect(verdict(next(2).ops)).toBe('not-linearizable');
    const read = history()
      .write([0, 1], 'a', 1)
      .delete([2, 3], 'ok')
      .read([4, 5], null)
      .write([6, 7], 'b', 3);
    expect(verdict(read.ops)).toBe('linearizable');
  });
});

describe('checkHistory: indeterminate operations', () => {
  it('accepts an info write whose value is read later', () => {
    const h = history().write([0, 1], 'a', 1).writeInfo(2, 'b').read([5, 6], 'b').read([7, 8], 'b');
    expect(verdict(h.ops)).toBe('linearizable');
  });

  it('accepts an info write that is never observed', () => {
    const h = history().write([0, 1], 'a', 1).writeInfo(2, 'b').read([5, 6], 'a', 1).read([7, 8], 'a', 1);
    expect(verdict(h.ops)).toBe('linearizable');
  });

  it('accepts an info write taking effect long after its client gave up', () => {
    const h = history().write([0, 1], 'a', 1).writeInfo(2, 'b').read([50, 51], 'a', 1).read([90, 91], 'b');
    h.ops[1]!.completedAt = 3; // When the client gave up: it does not bound the effect.
    expect(verdict(h.ops)).toBe('linearizable');
  });

  it('rejects reading an info write, then the older value again', () => {
    const h = history().write([0, 1], 'a', 1).writeInfo(2, 'b').read([5, 6], 'b').read([7, 8], 'a');
    expect(verdict(h.ops)).toBe('not-linearizable');
  });

  it('rejects an info write taking effect before it was invoked', () => {
    const h = history().write([0, 1], 'a', 1).read([2, 3], 'b').writeInfo(4, 'b');
    expect(verdict(h.ops)).toBe('not-linearizable');
  });

  it('lets an info write explain a cas failure, and pins its version through a read', () => {
    const failed = history()
      .write([0, 1], 'a', 1)
      .writeInfo(2, 'x')
      .cas([5, 6], 'c', { expectedVersion: 1 }, 'fail');
    expect(verdict(failed.ops)).toBe('linearizable');
    const pinned = history()
      .write([0, 1], 'a', 1)
      .writeInfo(2, 'b')
      .read([5, 6], 'b', 4)
      .cas([7, 8], 'c', { expectedVersion: 4 }, 6)
      .read([9, 10], 'c', 6);
    expect(verdict(pinned.ops)).toBe('linearizable');
    const wrongPin = history()
      .write([0, 1], 'a', 1)
      .writeInfo(2, 'b')
      .read([5, 6], 'b', 4)
      .cas([7, 8], 'c', { expectedVersion: 3 }, 6);
    expect(verdict(wrongPin.ops)).toBe('not-linearizable');
  });

  it('accepts info cas and delete either way, as the reads say', () => {
    const base = () => history().write([0, 1], 'a', 1).cas([2, 3], 'b', { expectedVersion: 1 }, 'info');
    expect(verdict(base().read([5, 6], 'a', 1).ops)).toBe('linearizable');
    expect(verdict(base().read([5, 6], 'b').ops)).toBe('linearizable');
    const deleted = () => history().write([0, 1], 'a', 1).delete([2, 3], 'info');
    expect(verdict(deleted().read([5, 6], null).read([7, 8], null).ops)).toBe('linearizable');
    expect(verdict(deleted().read([5, 6], null).read([7, 8], 'a').ops)).toBe('not-linearizable');
  });

  it('ignores info reads', () => {
    const h = history().write([0, 1], 'a', 1).ops;
    h.push({ id: 1, client: 1, key: 'k', type: 'read', input: {}, outcome: 'info', invokedAt: 2 });
    expect(verdict(h)).toBe('linearizable');
  });
});

describe('checkHistory: keys and results', () => {
  it('checks keys independently and reports a violation for its key only', () => {
    const h = history()
      .write([0, 1], 'a', 1, { key: 'good' })
      .write([0, 1], 'x', 2, { key: 'bad' })
      .read([2, 3], 'a', 1, { key: 'good' })
      .read([2, 3], 'y', undefined, { key: 'bad' })
      .write([4, 5], 'b', 3, { key: 'other' });
    const result = checkHistory(h.ops);
    expect(result).toMatchObject({ verdict: 'not-linearizable', keys: 3, operations: 5 });
    expect(result.failures.map((failure) => failure.key)).toEqual(['bad']);
    expect(result.failures[0]!.operations.every((op) => op.key === 'bad')).toBe(true);
  });

  it('explains a failure in words and prints it', () => {
    const h = history().write([0, 1], 'A', 1).write([2, 3], 'B', 2).read([4, 5], 'A', 1);
    const text = formatCheckResult(checkHistory(h.ops));
    expect(text).toContain('linearizability: not-linearizable (3 operations on 1 key, checked in');
    expect(text).toContain('key "k": not linearizable');
    expect(text).toContain('#2 client 2 key "k" read → "A" v1 [4, 5]');
    expect(text).toContain('Operations involved:');
  });

  it('answers unknown when the time budget runs out', () => {
    const ops = simulateHistory({ seed: 7, clients: 16, keys: 4, operations: 8000 });
    const result = checkHistory(ops, { timeBudgetMs: 0 });
    expect(result.verdict).toBe('unknown');
    expect(result.unknownKeys.length).toBeGreaterThan(0);
    expect(checkHistory(ops).verdict).toBe('linearizable');
  });

  it('refuses malformed histories', () => {
    const ok = history().write([0, 1], 'a', 1).ops[0]!;
    expect(() => checkHistory([ok, ok])).toThrow(HistoryFormatError);
    expect(() => checkHistory([{ ...ok, completedAt: undefined } as unknown as Operation])).toThrow(
      /completedAt/,
    );
    expect(() => checkHistory([{ ...ok, output: { version: 1.5 } } as Operation])).toThrow(/version/);
    expect(() => checkHistory([{ ...ok, type: 'increment' } as unknown as Operation])).toThrow(/type/);
  });
});
