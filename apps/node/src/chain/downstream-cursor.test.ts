import type { LogEntry } from '@star/protocol';
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_BYTES, withinByteBudget } from './downstream-cursor.js';

function put(seq: number, valueBytes: number): LogEntry {
  return {
    seq,
    term: 1,
    op: 'put',
    key: `k${seq}`,
    value: new Uint8Array(valueBytes),
    createdAt: 1,
    modifiedAt: 1,
    modifications: 1,
  };
}

describe('withinByteBudget', () => {
  it('keeps a batch of small entries whole', () => {
    const entries = Array.from({ length: 512 }, (_, i) => put(i + 1, 100));
    expect(withinByteBudget(entries)).toHaveLength(512);
  });

  it('cuts a batch of large values before it exceeds the budget, but always sends one entry', () => {
    const big = Math.floor(MAX_BATCH_BYTES * 0.6);
    const batch = withinByteBudget([put(1, big), put(2, big), put(3, big)]);
    expect(batch.map((entry) => entry.seq)).toEqual([1]);
    expect(withinByteBudget([put(1, 4 * MAX_BATCH_BYTES)]).map((entry) => entry.seq)).toEqual([1]);
    const small = Math.floor(MAX_BATCH_BYTES / 4);
    expect(withinByteBudget([put(1, small), put(2, small), put(3, small), put(4, small)])).toHaveLength(3);
  });
});
