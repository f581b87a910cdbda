import { expect, it } from 'vitest';
import { executeScan } from '../engine/scan-executor.js';
import { explainScan, planScan } from '../engine/scan-planner.js';
import type { ScanQuery } from '../engine/scan-query.js';
import type { Connector, ConnectorMetadata } from '../model/connector.js';
import type { Row } from '../model/table.js';
import { filterCases, people } from './people-dataset.js';

export interface ConformanceTarget {
  connector: () => Connector;
  database: string;
  /** Filter cases the connector is expected to leave to the gateway (e.g. sqlite's case-insensitive LIKE). */
  notPushed?: string[];
  /** The table holding the people rows (default `people`). */
  table?: string;
  /** SQL sources push filter, order and limit; others are checked by their own explain tests. */
  sql?: boolean;
}

export async function runQuery(
  connector: Connector,
  query: ScanQuery,
  metadata: ConnectorMetadata = connector.metadata(),
): Promise<Row[]> {
  const plan = await planScan(connector, metadata, query);
  const rows: Row[] = [];
  for await (const row of executeScan(connector, plan)) rows.push(row);
  return rows;
}

/** The checks every connector must pass on the people table: each filter operator, projection, order, limit. */
export function peopleConformance(target: ConformanceTarget): void {
  const table = target.table ?? 'people';

  it('lists the people table with its column types', async () => {
    const metadata = target.connector().metadata();
    expect(await metadata.listDatabases()).toContain(target.database);
    expect(await metadata.listTables(target.database)).toContain(table);
    const schema = await metadata.getTable({ database: target.database, table });
    expect(Object.fromEntries(schema.columns.map((column) => [column.name, column.type]))).toEqual({
      id: 'integer',
      name: 'string',
      city: 'string',
      age: 'integer',
      score: 'float',
      active: 'boolean',
      joined: 'timestamp',
    });
  });

  for (const testCase of filterCases) {
    it(`filter ${testCase.name}: returns exactly the matching rows`, async () => {
      const connector = target.connector();
      const query = { database: target.database, table, filter: testCase.filter, columns: ['id'] };
      const rows = await runQuery(connector, query);
      const expected = people.filter(testCase.expected).map((p) => p.id);
      expect(rows.map((row) => row.id).sort((a, b) => Number(a) - Number(b))).toEqual(expected);
      const plan = await planScan(connector, connector.metadata(), query);
      if (target.notPushed?.includes(testCase.name)) {
        expect(plan.remaining.filter).toEqual(testCase.filter);
      } else {
        expect(plan.pushed.filter).toEqual(testCase.filter);
        expect(plan.remaining.filter).toBeUndefined();
      }
    });
  }

  it('returns full rows with their values typed', async () => {
    const rows = await runQuery(target.connector(), {
      database: target.database,
      table,
      orderBy: [{ column: 'id' }],
    });
    expect(rows).toEqual(people);
  });

  it('projects the requested columns in the requested order', async () => {
    const rows = await runQuery(target.connector(), {
      database: target.database,
      table,
      columns: ['name', 'id'],
      filter: { op: 'lt', column: 'id', value: 3 },
      orderBy: [{ column: 'id' }],
    });
    expect(rows.map((row) => Object.keys(row))).toEqual([
      ['name', 'id'],
      ['name', 'id'],
    ]);
    expect(rows).toEqual(people.slice(0, 2).map((p) => ({ name: p.name, id: p.id })));
  });

  it('orders (nulls last ascending, first descending) and limits', async () => {
    const byAgeDesc = await runQuery(target.connector(), {
      database: target.database,
      table,
      columns: ['id', 'age'],
      orderBy: [
        { column: 'age', direction: 'desc' },
        { column: 'id', direction: 'asc' },
      ],
      limit: 7,
    });
    const expected = [...people]
      .sort((a, b) =>
        a.age === b.age ? a.id - b.id : a.age === null ? -1 : b.age === null ? 1 : b.age - a.age,
      )
      .slice(0, 7)
      .map((p) => ({ id: p.id, age: p.age }));
    expect(byAgeDesc).toEqual(expected);
    const ascending = await runQuery(target.connector(), {
      database: target.database,
      table,
      columns: ['id'],
      orderBy: [{ column: 'age' }, { column: 'id' }],
    });
    expect(ascending.slice(-people.filter((p) => p.age === null).length).map((row) => row.id)).toEqual(
      people.filter((p) => p.age === null).map((p) => p.id),
    );
  });

  it('limit without order stops after that many rows', async () => {
    const rows = await runQuery(target.connector(), { database: target.database, table, limit: 5 });
    expect(rows).toHaveLength(5);
  });

  if (target.sql === false) return;
  it('explain: filter, order and limit all pushed to a SQL source', async () => {
    const connector = target.connector();
    const filter = { op: 'gt' as const, column: 'age', value: 30 };
    const explained = await explainScan(
      connector,
      await planScan(connector, connector.metadata(), {
        database: target.database,
        table,
        columns: ['name'],
        filter,
        orderBy: [{ column: 'name' }],
        limit: 3,
      }),
    );
    expect(explained).toMatchObject({
      outputColumns: ['name'],
      // A SQL source evaluates the filter, sorts and limits itself: it only returns the output column.
      pushed: { columns: ['name'], filter, orderBy: [{ column: 'name', direction: 'asc' }], limit: 3 },
      remaining: {},
    });
    return explained;
  });
}
