import type { Operation } from '@star/testkit';
import { describe, expect, it } from 'vitest';
import {
  availabilityOf,
  type FaultSpan,
  formatAvailabilityTable,
  longestGap,
  percentile,
  type Success,
  successesOf,
} from './availability.js';

let nextId = 0;
function op(
  type: Operation['type'],
  outcome: 'ok' | 'fail' | 'info',
  invokedAt: number,
  completedAt: number,
) {
  const base = { id: nextId++, client: 'c1', key: 'k', invokedAt, completedAt };
  if (type === 'read')
    return { ...base, type, input: {}, outcome, output: { value: null } } as unknown as Operation;
  return { ...base, type, input: { value: 'v' }, outcome, output: {} } as unknown as Operation;
}

const write = (invokedAt: number, completedAt: number): Success => ({
  kind: 'write',
  invokedAt,
  completedAt,
});
const read = (invokedAt: number, completedAt: number): Success => ({ kind: 'read', invokedAt, completedAt });

const span = (from: number, endedAt: number, healedAt?: number): FaultSpan => ({
  name: 'kill-node+clock-step',
  parts: ['kill-node', 'clock-step'],
  from,
  endedAt,
  ...(healedAt === undefined ? {} : { healedAt }),
  healBoundMs: 60_000,
});

describe('longestGap', () => {
  it('counts from the window start to the first completion and from the last to the window end', () => {
    expect(longestGap([1_100, 1_200, 1_300], 1_000, 2_000)).toBe(700);
    expect(longestGap([1_900], 1_000, 2_000)).toBe(900);
  });

  it('is the whole window when nothing completed in it, ignoring completions outside it', () => {
    expect(longestGap([], 1_000, 3_500)).toBe(2_500);
    expect(longestGap([500, 4_000], 1_000, 3_500)).toBe(2_500);
  });

  it('finds an outage in the middle, whatever the order of completions', () => {
    expect(longestGap([1_050, 2_900, 1_100, 3_000], 1_000, 3_000)).toBe(1_800);
  });
});

describe('percentile', () => {
  it('is the nearest rank of sorted values', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 0.5)).toBe(50);
    expect(percentile(hundred, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([1, 2, 3], 0.99)).toBe(3);
    expect(percentile([], 0.5)).toBeUndefined();
  });
});

describe('successesOf', () => {
  it('keeps successes only: register reads as reads; writes, CAS, deletes and set inserts as writes; listings as reads', () => {
    const successes = successesOf(
      [
        op('read', 'ok', 0, 10),
        op('write', 'ok', 0, 20),
        op('cas', 'ok', 0, 30),
        op('cas', 'fail', 0, 40),
        op('delete', 'info', 0, 50),
      ],
      [
        { key: 'set/a', invokedAt: 5, completedAt: 60, outcome: 'ok' },
        { key: 'set/b', invokedAt: 5, outcome: 'info' },
      ],
      [
        { id: 1, via: 'rest', startedAt: 0, endedAt: 70, keys: ['set/a'] },
        { id: 2, via: 'rest', startedAt: 0, endedAt: 80 },
        { id: 3, via: 'rest', startedAt: 0, endedAt: 90, keys: [], final: true },
      ],
    );
    expect(successes.map((s) => `${s.kind}@${s.completedAt}`)).toEqual([
      'read@10',
      'write@20',
      'write@30',
      'write@60',
      'read@70',
    ]);
  });
});

describe('availabilityOf', () => {
  it('reports the write and read outages, latencies and heal time of a fault from a handmade history', () => {
    // Fault from 1 000 to 4 000 (parts healed), cluster whole at 5 000: writes stop for 2 s, reads for 1 s.
    const history = [
      write(900, 1_000),
      write(1_000, 1_200),
      write(1_200, 3_200), // a write held up by the fault: the outage is 1 200 -> 3 200
      write(3_200, 3_300),
      write(4_900, 5_000),
      ...Array.from({ length: 15 }, (_, i) => read(1_000 + i * 200, 1_010 + i * 200)),
      // no reads completed 3 810 .. 4 810
      read(4_800, 4_810),
    ];
    const [row] = availabilityOf([span(1_000, 4_000, 5_000)], history);
    expect(row).toMatchObject({
      fault: 'kill-node+clock-step',
      windowMs: 4_000,
      maxNoWriteMs: 2_000,
      maxNoReadMs: 1_000,
      healMs: 1_000,
      healedWithinBound: true,
    });
    // Invoked in the span: 4 writes (100..2 000 ms) and 16 reads (10 ms each).
    expect(row!.successes).toBe(20);
    expect(row!.p50Ms).toBe(10);
    expect(row!.p99Ms).toBe(2_000);
  });

  it('a fault that did not heal is measured to its end and marked not within the bound', () => {
    const [row] = availabilityOf([span(0, 3_000)], [write(0, 100)]);
    expect(row).toMatchObject({
      windowMs: 3_000,
      maxNoWriteMs: 2_900,
      maxNoReadMs: 3_000,
      healedWithinBound: false,
    });
    expect(row!.healMs).toBeUndefined();
    expect(row!.p99Ms).toBe(100);
  });

  it('a heal slower than the bound is reported as such', () => {
    const [row] = availabilityOf([{ ...span(0, 1_000, 62_000), healBoundMs: 60_000 }], []);
    expect(row).toMatchObject({ healMs: 61_000, healedWithinBound: false, successes: 0 });
    expect(row!.p50Ms).toBeUndefined();
    expect(formatAvailabilityTable([row!])).toContain(
      '| 1 | kill-node+clock-step | 62,000 | 62,000 | 62,000 | 0 | - | - | 61,000 | NO (60,000) |',
    );
  });
});
