import { describe, expect, it } from 'vitest';
import { type SearchModel, type SearchOperation, searchLinearization } from './search.js';

/** A counter with `add` (returns nothing) and `get` (returns the total): no pruning hooks. */
type CounterOp = { kind: 'add'; amount: number } | { kind: 'get'; total: number };
const counter: SearchModel<number, CounterOp> = {
  init: 0,
  step: (total, op) => (op.kind === 'add' ? total + op.amount : op.total === total ? total : undefined),
  equal: (a, b) => a === b,
  hash: (total) => total,
};

const add = (amount: number, call: number, ret: number): SearchOperation<CounterOp> => ({
  op: { kind: 'add', amount },
  call,
  ret,
});
const get = (total: number, call: number, ret: number): SearchOperation<CounterOp> => ({
  op: { kind: 'get', total },
  call,
  ret,
});

describe('searchLinearization', () => {
  it('finds an order for concurrent operations', () => {
    const result = searchLinearization(counter, [add(1, 0, 10), add(2, 1, 10), get(2, 2, 3), get(3, 11, 12)]);
    expect(result.kind).toBe('linearizable');
    if (result.kind === 'linearizable') expect(result.order).toEqual([1, 2, 0, 3]);
  });

  it('reports where it got stuck', () => {
    const result = searchLinearization(counter, [add(1, 0, 1), get(2, 2, 3), add(1, 4, 5)]);
    expect(result).toMatchObject({ kind: 'violation', stuck: 1, prefix: [0], state: 1 });
  });

  it('may leave out or include optional operations', () => {
    const maybe = add(5, 0, Number.POSITIVE_INFINITY);
    expect(searchLinearization(counter, [maybe, get(0, 1, 2)]).kind).toBe('linearizable');
    expect(searchLinearization(counter, [maybe, get(5, 1, 2)]).kind).toBe('linearizable');
    expect(searchLinearization(counter, [maybe, get(5, 1, 2), get(0, 3, 4)]).kind).toBe('violation');
  });

  it('counts interchangeable optional operations of a group', () => {
    const ops = [
      ...Array.from({ length: 30 }, (_, i) => ({ ...add(1, i, Number.POSITIVE_INFINITY), group: 'one' })),
      get(17, 40, 41),
    ];
    expect(searchLinearization(counter, ops).kind).toBe('linearizable');
    expect(searchLinearization(counter, [...ops, get(31, 42, 43)]).kind).toBe('violation');
  });

  it('gives up at its deadline', () => {
    // Many concurrent adds of distinct amounts and an unreachable total: every subset is tried.
    const ops = [...Array.from({ length: 40 }, (_, i) => add(2 ** (i % 20) + i, 0, 100)), get(-1, 0, 100)];
    let clock = 0;
    const result = searchLinearization(counter, ops, { deadline: 5, now: () => clock++ });
    expect(result.kind).toBe('timeout');
  });
});
