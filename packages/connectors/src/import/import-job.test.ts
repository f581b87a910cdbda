import { describe, expect, it } from 'vitest';
import { type ImportRequest, resumeQuery } from './import-job.js';

const request: ImportRequest = {
  id: 'orders-2024',
  source: { table: 'public.orders', columns: ['total'], filter: { op: 'ge', column: 'total', value: 10 } },
  namespace: 'orders',
  keyColumn: 'id',
  batchSize: 500,
};

describe('resumeQuery', () => {
  it('orders by the key column and includes it in the columns', () => {
    expect(resumeQuery(request)).toEqual({
      table: 'public.orders',
      columns: ['total', 'id'],
      filter: { op: 'ge', column: 'total', value: 10 },
      orderBy: [{ column: 'id', direction: 'asc' }],
    });
  });

  it('resumes strictly after the last acknowledged key', () => {
    expect(
      resumeQuery(request, { lastKey: 41_999, rows: 42_000, bytes: 1, skippedNullKeys: 0 }).filter,
    ).toEqual({
      op: 'and',
      args: [
        { op: 'ge', column: 'total', value: 10 },
        { op: 'gt', column: 'id', value: 41_999 },
      ],
    });
  });
});
