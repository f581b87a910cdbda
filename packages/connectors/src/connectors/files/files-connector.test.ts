import { mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cleanupTempDirs, tempDir } from '@star/testkit';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainScan, planScan } from '../../engine/scan-planner.js';
import { MetadataCache } from '../../metadata/metadata-cache.js';
import { peopleConformance, runQuery } from '../../testing/connector-conformance.js';
import { filterCases, people } from '../../testing/people-dataset.js';
import { FilesConnector } from './files-connector.js';

let root: string;
let connector: FilesConnector;

function csvField(value: unknown): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function writeFile(path: string, content: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

interface Order {
  id: number;
  amount: number;
  customer: string;
  year: number;
  month: number;
}

// Orders partitioned by year and month; ids are unique across the table.
const orders: Order[] = [];
for (const [year, month] of [
  [2023, 11],
  [2024, 1],
  [2024, 2],
]) {
  for (let i = 0; i < 50; i++) {
    const id = orders.length + 1;
    orders.push({ id, amount: (id * 37) % 101, customer: `c${id % 7}`, year: year!, month: month! });
  }
}

function writeOrders(): void {
  for (const key of new Set(orders.map((o) => `${o.year}/${o.month}`))) {
    const [year, month] = key.split('/').map(Number);
    const part = orders.filter((o) => o.year === year && o.month === month);
    const path = join(root, 'sales', 'orders', `year=${year}`, `month=${month}`, 'part-0.parquet');
    mkdirSync(dirname(path), { recursive: true });
    parquetWriteFile({
      filename: path,
      columnData: [
        { name: 'id', data: part.map((o) => o.id), type: 'INT32', nullable: false },
        { name: 'amount', data: part.map((o) => o.amount), type: 'DOUBLE', nullable: false },
        { name: 'customer', data: part.map((o) => o.customer), type: 'STRING', nullable: false },
      ],
      rowGroupSize: 20,
    });
  }
  // A partition whose file is not parquet at all: any scan that opens it fails.
  writeFile(
    join(root, 'sales', 'orders', 'year=2099', 'month=1', 'part-0.parquet'),
    'this is not a parquet file',
  );
}

beforeAll(() => {
  root = tempDir('star-files-').path;
  const header = 'id,name,city,age,score,active,joined';
  const lines = people.map((p) =>
    [p.id, p.name, p.city, p.age, p.score, p.active, p.joined].map(csvField).join(','),
  );
  writeFile(join(root, 'csv', 'people.csv'), `${header}\n${lines.join('\n')}\n`);
  writeFile(join(root, 'ndjson', 'people.ndjson'), `${people.map((p) => JSON.stringify(p)).join('\n')}\n`);
  mkdirSync(join(root, 'parquet'), { recursive: true });
  parquetWriteFile({
    filename: join(root, 'parquet', 'people.parquet'),
    columnData: [
      { name: 'id', data: people.map((p) => p.id), type: 'INT32', nullable: false },
      { name: 'name', data: people.map((p) => p.name), type: 'STRING', nullable: false },
      { name: 'city', data: people.map((p) => p.city), type: 'STRING' },
      { name: 'age', data: people.map((p) => p.age), type: 'INT32' },
      { name: 'score', data: people.map((p) => p.score), type: 'DOUBLE', nullable: false },
      { name: 'active', data: people.map((p) => p.active), type: 'BOOLEAN', nullable: false },
      { name: 'joined', data: people.map((p) => new Date(p.joined)), type: 'TIMESTAMP', nullable: false },
    ],
    rowGroupSize: 10,
  });
  writeOrders();
  connector = new FilesConnector({ root, csvDelimiter: ',', inferenceRows: 1_000 }, { catalog: 'lake' });
});

afterAll(async () => {
  await connector?.close();
  await cleanupTempDirs();
});

// Plain files cannot evaluate filters: every term stays with the gateway (partition terms are the exception).
const allFilterCases = filterCases.map((c) => c.name);
for (const format of ['csv', 'ndjson', 'parquet']) {
  describe(`files connector: ${format}`, () => {
    peopleConformance({
      connector: () => connector,
      database: format,
      notPushed: allFilterCases,
      sql: false,
    });
  });
}

describe('files connector: hive-style partitions', () => {
  const ordersRef = { database: 'sales', table: 'orders' };

  it('discovers partition columns from key=value directories, typed', async () => {
    const schema = await connector.metadata().getTable(ordersRef);
    expect(schema.columns.map((c) => [c.name, c.type, c.partitionKey ?? false])).toEqual([
      ['id', 'integer', false],
      ['amount', 'float', false],
      ['customer', 'string', false],
      ['year', 'integer', true],
      ['month', 'integer', true],
    ]);
    expect(schema.partitionColumns).toEqual(['year', 'month']);
    const partitions = await connector.metadata().listPartitions(ordersRef);
    expect(partitions.map((p) => p.values)).toEqual([
      { year: 2023, month: 11 },
      { year: 2024, month: 1 },
      { year: 2024, month: 2 },
      { year: 2099, month: 1 },
    ]);
  });

  it('prunes partitions by the filter: pruned files are never opened', async () => {
    const prunedPaths = ['year=2023/month=11/part-0.parquet', 'year=2099/month=1/part-0.parquet'].map((p) =>
      join(root, 'sales', 'orders', p),
    );
    // The gateway caches schemas; inferring one reads the table's first file, so warm the cache first.
    const metadata = new MetadataCache(connector.metadata(), 60_000);
    await metadata.getTable(ordersRef);
    const longAgo = new Date('2001-01-01T00:00:00Z');
    for (const path of prunedPaths) utimesSync(path, longAgo, statSync(path).mtime);

    const query = {
      ...ordersRef,
      columns: ['id', 'amount', 'month'],
      filter: {
        op: 'and' as const,
        args: [
          { op: 'eq' as const, column: 'year', value: 2024 },
          { op: 'gt' as const, column: 'amount', value: 50 },
        ],
      },
    };
    const plan = await planScan(connector, metadata, query);
    expect(plan.pushed.filter).toEqual(query.filter.args[0]);
    expect(plan.remaining.filter).toEqual(query.filter.args[1]);
    const explained = await explainScan(connector, plan);
    expect(explained.source).toEqual({
      files: [
        'sales/orders/year=2024/month=1/part-0.parquet',
        'sales/orders/year=2024/month=2/part-0.parquet',
      ],
      prunedFiles: [
        'sales/orders/year=2023/month=11/part-0.parquet',
        'sales/orders/year=2099/month=1/part-0.parquet',
      ],
      columnsRead: ['id', 'amount', 'month'],
    });

    const rows = await runQuery(connector, query, metadata);
    expect(rows).toEqual(
      orders
        .filter((o) => o.year === 2024 && o.amount > 50)
        .map((o) => ({ id: o.id, amount: o.amount, month: o.month })),
    );
    // Never opened: the unreadable 2099 file did not fail the scan, and no pruned file was read.
    for (const path of prunedPaths) expect(statSync(path).atime.getTime()).toBe(longAgo.getTime());
    // And it would have failed had it been opened.
    await expect(runQuery(connector, { ...ordersRef, columns: ['id'] })).rejects.toMatchObject({
      code: 'BadGateway',
      message: /year=2099\/month=1\/part-0\.parquet/,
    });
  });

  it('prunes with in/or/not on partition columns and pushes the limit when nothing remains', async () => {
    const query = {
      ...ordersRef,
      columns: ['id'],
      filter: {
        op: 'or' as const,
        args: [
          { op: 'in' as const, column: 'month', values: [11] },
          { op: 'not' as const, arg: { op: 'ge' as const, column: 'year', value: 2024 } },
        ],
      },
      limit: 7,
    };
    const plan = await planScan(connector, connector.metadata(), query);
    expect(plan.remaining).toEqual({});
    expect(plan.pushed.limit).toBe(7);
    expect((await explainScan(connector, plan)).source).toMatchObject({
      files: ['sales/orders/year=2023/month=11/part-0.parquet'],
      stopAfterRows: 7,
    });
    expect(await runQuery(connector, query)).toEqual(orders.slice(0, 7).map((o) => ({ id: o.id })));
  });

  it('orders in the gateway (files cannot sort) and applies the limit after sorting', async () => {
    const query = {
      ...ordersRef,
      columns: ['id', 'amount'],
      filter: { op: 'le' as const, column: 'year', value: 2024 },
      orderBy: [{ column: 'amount', direction: 'desc' as const }, { column: 'id' }],
      limit: 5,
    };
    const plan = await planScan(connector, connector.metadata(), query);
    expect(plan.remaining).toEqual({
      orderBy: [
        { column: 'amount', direction: 'desc' },
        { column: 'id', direction: 'asc' },
      ],
      limit: 5,
    });
    const expected = [...orders]
      .sort((a, b) => b.amount - a.amount || a.id - b.id)
      .slice(0, 5)
      .map((o) => ({ id: o.id, amount: o.amount }));
    expect(await runQuery(connector, query)).toEqual(expected);
  });
});

describe('files connector: statistics', () => {
  it('parquet: from footers, partition columns from the paths', async () => {
    const stats = await connector.metadata().getStatistics({ database: 'parquet', table: 'people' });
    const ages = people.map((p) => p.age).filter((a): a is number => a !== null);
    expect(stats.rowCount).toBe(people.length);
    expect(stats.columns.age).toEqual({
      nullCount: people.length - ages.length,
      min: Math.min(...ages),
      max: Math.max(...ages),
    });
  });

  it('csv: a full read gives exact figures with distinct counts', async () => {
    const stats = await connector.metadata().getStatistics({ database: 'csv', table: 'people' });
    const cities = people.map((p) => p.city).filter((c): c is string => c !== null);
    expect(stats).toMatchObject({ rowCount: people.length, exact: true });
    expect(stats.columns.city).toEqual({
      nullCount: people.length - cities.length,
      min: [...cities].sort()[0],
      max: [...cities].sort().at(-1),
      distinctCount: new Set(cities).size,
    });
  });

  it('unknown database or table is NotFound', async () => {
    await expect(connector.metadata().getTable({ database: 'nope', table: 'x' })).rejects.toMatchObject({
      code: 'NotFound',
    });
    await expect(
      connector.metadata().getTable({ database: 'csv', table: '../parquet/people' }),
    ).rejects.toMatchObject({
      code: 'NotFound',
    });
  });
});
