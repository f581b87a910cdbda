import { type MariadbServer, startMariadb } from '@star/testkit';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorRegistry } from '../../connector-registry.js';
import { explainScan, planScan } from '../../engine/scan-planner.js';
import { peopleConformance, runQuery } from '../../testing/connector-conformance.js';
import { people } from '../../testing/people-dataset.js';
import { MysqlConnector, type MysqlProperties, mysqlConnectorFactory } from './mysql-connector.js';

let server: MariadbServer;
let connector: MysqlConnector;
let properties: MysqlProperties;

beforeAll(async () => {
  server = await startMariadb();
  const admin = await mysql.createConnection({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: server.database,
    timezone: 'Z',
  });
  await admin.query(`CREATE TABLE people (
    id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, city VARCHAR(40), age INT, score DOUBLE,
    active BOOLEAN NOT NULL, joined DATETIME(3) NOT NULL, INDEX by_city (city))`);
  for (const p of people) {
    await admin.execute('INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?)', [
      p.id,
      p.name,
      p.city,
      p.age,
      p.score,
      p.active,
      p.joined.replace('T', ' ').replace('Z', ''),
    ]);
  }
  await admin.query(`CREATE TABLE events (id INT, year INT NOT NULL)
    PARTITION BY RANGE (year) (PARTITION p2024 VALUES LESS THAN (2025), PARTITION p2025 VALUES LESS THAN (2026))`);
  await admin.query('ANALYZE TABLE people');
  await admin.end();
  properties = new ConnectorRegistry([mysqlConnectorFactory]).validateProperties('mysql', {
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    poolMax: 3,
  }) as MysqlProperties;
  connector = new MysqlConnector(properties, { catalog: 'maria-test' });
});

afterAll(async () => {
  await connector?.close();
  await server?.stop();
});

describe('mysql connector (against MariaDB)', () => {
  peopleConformance({ connector: () => connector, database: 'star' });

  it('sends server-side prepared statements: the general log shows the ? placeholders', async () => {
    const query = {
      database: 'star',
      table: 'people',
      columns: ['id'],
      filter: {
        op: 'and' as const,
        args: [
          { op: 'in' as const, column: 'city', values: ["Paris' OR '1'='1", 'Bern'] },
          { op: 'ge' as const, column: 'joined', value: '2024-01-05T00:00:00.000Z' },
        ],
      },
      orderBy: [{ column: 'name', direction: 'asc' as const }],
      limit: 4,
    };
    const explained = await explainScan(connector, await planScan(connector, connector.metadata(), query));
    const expectedSql =
      'SELECT `id` FROM `star`.`people` WHERE (`city` IN (BINARY ?, BINARY ?) AND `joined` >= ?) ' +
      'ORDER BY `name` IS NULL, BINARY `name` ASC LIMIT ?';
    expect(explained.source).toEqual({
      sql: expectedSql,
      params: ["Paris' OR '1'='1", 'Bern', '2024-01-05 00:00:00.000', 4],
      prepared: true,
    });
    const rows = await runQuery(connector, query);
    const expected = people
      .filter((p) => p.city === 'Bern' && p.joined >= '2024-01-05T00:00:00.000Z')
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .slice(0, 4)
      .map((p) => ({ id: p.id }));
    expect(rows).toEqual(expected);
    const prepares = server
      .generalLog()
      .split('\n')
      .filter((line) => /\bPrepare\b/.test(line));
    expect(prepares.some((line) => line.includes(expectedSql))).toBe(true);
  });

  it('reports statistics: exact counts and min/max, distinct estimates from index cardinality', async () => {
    const stats = await connector.metadata().getStatistics({ database: 'star', table: 'people' });
    const ages = people.map((p) => p.age).filter((age): age is number => age !== null);
    expect(stats.rowCount).toBe(people.length);
    expect(stats.columns.age).toEqual({
      nullCount: people.length - ages.length,
      min: Math.min(...ages),
      max: Math.max(...ages),
    });
    expect(stats.columns.id?.distinctCount).toBe(people.length);
    expect(stats.columns.city?.distinctCount).toBeGreaterThan(0);
    expect(stats.columns.joined).toMatchObject({ min: people[0]!.joined, max: people.at(-1)!.joined });
  });

  it('lists range partitions', async () => {
    const partitions = await connector.metadata().listPartitions({ database: 'star', table: 'events' });
    expect(partitions.map((p) => [p.values.partition, p.values.method, p.values.description])).toEqual([
      ['p2024', 'RANGE', '2025'],
      ['p2025', 'RANGE', '2026'],
    ]);
  });

  it('masks the password in a source error', async () => {
    const wrong = 'definitely-wrong-pw-42';
    const broken = new MysqlConnector(
      { ...properties, password: wrong },
      { catalog: 'broken', retry: { retries: 0, minTimeoutMs: 10, maxTimeoutMs: 10 } },
    );
    try {
      const error = await broken.health().catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'BadGateway', message: /Access denied/ });
      expect((error as Error).message).not.toContain(wrong);
    } finally {
      await broken.close();
    }
  });

  it('an early stop destroys the busy connection and the pool keeps serving', async () => {
    const table = await connector.metadata().getTable({ database: 'star', table: 'people' });
    for (let round = 0; round < 5; round++) {
      for await (const _row of connector.scan({ table, columns: ['id'] })) break;
    }
    const rows = await runQuery(connector, { database: 'star', table: 'people', columns: ['id'] });
    expect(rows).toHaveLength(people.length);
  });
});
