import { describe, expect, it } from 'vitest';
import { parseSelect } from './sql-select.js';

describe('parseSelect', () => {
  it('turns a single-table SELECT into a scan query', () => {
    expect(
      parseSelect(
        `SELECT id, "name" FROM shop.people
         WHERE (age >= 30 AND city IN ('Paris', 'Bern')) OR name LIKE 'a_%x' OR NOT (active = true)
         ORDER BY age DESC, id LIMIT 10`,
      ),
    ).toEqual({
      database: 'shop',
      table: 'people',
      columns: ['id', 'name'],
      filter: {
        op: 'or',
        args: [
          {
            op: 'and',
            args: [
              { op: 'ge', column: 'age', value: 30 },
              { op: 'in', column: 'city', values: ['Paris', 'Bern'] },
            ],
          },
          { op: 'like', column: 'name', pattern: 'a_%x' },
          { op: 'not', arg: { op: 'eq', column: 'active', value: true } },
        ],
      },
      orderBy: [
        { column: 'age', direction: 'desc' },
        { column: 'id', direction: 'asc' },
      ],
      limit: 10,
    });
  });

  it('maps IS [NOT] NULL, BETWEEN, NOT IN, mirrored comparisons, negative numbers and LIKE prefixes', () => {
    expect(
      parseSelect(
        `SELECT * FROM t WHERE a IS NULL AND b IS NOT NULL AND c BETWEEN 1 AND 3 AND d NOT IN (1, 2)
         AND 5 < e AND f <> -1.5 AND g LIKE 'abc%' AND h = NULL`,
      ),
    ).toEqual({
      table: 't',
      filter: {
        op: 'and',
        args: [
          { op: 'isNull', column: 'a' },
          { op: 'not', arg: { op: 'isNull', column: 'b' } },
          // BETWEEN's two bounds join the surrounding AND.
          { op: 'ge', column: 'c', value: 1 },
          { op: 'le', column: 'c', value: 3 },
          { op: 'not', arg: { op: 'in', column: 'd', values: [1, 2] } },
          { op: 'gt', column: 'e', value: 5 },
          { op: 'ne', column: 'f', value: -1.5 },
          { op: 'prefix', column: 'g', value: 'abc' },
          { op: 'eq', column: 'h', value: null },
        ],
      },
    });
  });

  it.each([
    ['SELECT a.x FROM t1 a JOIN t2 b ON a.id = b.id', /joins are not supported/],
    ['SELECT * FROM t1, t2', /joins are not supported/],
    ['SELECT count(*) FROM t', /only plain columns/],
    ['SELECT x + 1 FROM t', /only plain columns/],
    ['SELECT x AS y FROM t', /aliases/],
    ['SELECT x FROM t GROUP BY x', /GROUP BY/],
    ['SELECT DISTINCT x FROM t', /DISTINCT/],
    ['SELECT x FROM (SELECT x FROM t) s', /subqueries/],
    ['SELECT x FROM t LIMIT 5 OFFSET 2', /OFFSET/],
    ['DELETE FROM t', /only SELECT/],
    ['SELECT x FROM t; SELECT y FROM t', /one statement/],
    ['SELECT x FROM t WHERE a = b', /one column and one literal/],
    ['SELEKT x FROM t', /cannot parse/],
    ['SELECT * FROM t WHERE other.x = 1', /unknown table "other"/],
  ])('rejects %s with a 400 saying why', (sql, message) => {
    expect(() => parseSelect(sql)).toThrow(message);
    try {
      parseSelect(sql);
    } catch (error) {
      expect(error).toMatchObject({ code: 'BadRequest' });
    }
  });
});
