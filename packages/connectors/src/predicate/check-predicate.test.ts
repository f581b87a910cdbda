import { describe, expect, it } from 'vitest';
import type { TableSchema } from '../model/table.js';
import { checkPredicate } from './check-predicate.js';

const schema: TableSchema = {
  database: 'd',
  table: 't',
  partitionColumns: [],
  columns: [
    { name: 'age', type: 'integer', sourceType: 'int4', nullable: true },
    { name: 'name', type: 'string', sourceType: 'text', nullable: true },
    { name: 'at', type: 'timestamp', sourceType: 'timestamptz', nullable: true },
    { name: 'doc', type: 'json', sourceType: 'jsonb', nullable: true },
  ],
};

describe('checkPredicate', () => {
  it.each([
    [{ op: 'gt', column: 'age', value: 'old' }, /value "old" does not fit column "age" of type integer/],
    [{ op: 'eq', column: 'age', value: 1.5 }, /does not fit column "age"/],
    [{ op: 'in', column: 'age', values: [1, 'two'] }, /value "two"/],
    [{ op: 'prefix', column: 'age', value: '1' }, /needs a string column, but "age" is integer/],
    [{ op: 'lt', column: 'at', value: 'yesterday' }, /does not fit column "at" of type timestamp/],
    [{ op: 'lt', column: 'doc', value: 'x' }, /cannot order values of type json/],
    [{ op: 'not', arg: { op: 'eq', column: 'nope', value: 1 } }, /has no column "nope"/],
  ])('rejects %j naming the problem', (predicate, message) => {
    expect(() => checkPredicate(predicate as never, schema)).toThrow(message);
  });

  it('accepts well-typed filters, nulls included', () => {
    expect(() =>
      checkPredicate(
        {
          op: 'and',
          args: [
            { op: 'ge', column: 'age', value: 3 },
            { op: 'eq', column: 'name', value: null },
            { op: 'lt', column: 'at', value: '2024-01-01T00:00:00Z' },
            { op: 'isNull', column: 'doc' },
          ],
        },
        schema,
      ),
    ).not.toThrow();
  });
});
