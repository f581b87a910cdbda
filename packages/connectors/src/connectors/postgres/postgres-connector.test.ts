import { type PostgresServer, startPostgres, waitFor } from '@star/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorRegistry } from '../../connector-registry.js';
import { explainScan, planScan } from '../../engine/scan-planner.js';
import { peopleConformance, runQuery } from '../../testing/connector-conformance.js';
import { people } from '../../testing/people-dataset.js';
import {
  PostgresConnector,
  type PostgresProperties,
  postgresConnectorFactory,
} from './postgres-connector.js';

let server: PostgresServer;
let connector: PostgresConnector;
let properties: PostgresProperties;

beforeAll(async () => {
  server = await startPostgres();
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA shop`);
  await admin.query(`CREATE TABLE shop.people (
    id integer PRIMARY KEY, name text NOT NULL, city text, age integer, score double precision,
    active boolean NOT NULL, joined timestamp NOT NULL)`);
  for (const p of people) {
    await admin.query('INSERT INTO shop.people VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      p.id,
      p.name,
      p.city,
      p.age,
      p.score,
      p.active,
      p.joined.replace('Z', ''),
    ]);
  }
  await admin.query(`CREATE TABLE shop.events (id int, day date NOT NULL) PARTITION BY RANGE (day)`);
  await admin.query(
    `CREATE TABLE shop.events_2024 PARTITION OF shop.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`,
  );
  await admin.query(
    `CREATE TABLE shop.events_2025 PARTITION OF shop.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`,
  );
  await admin.query('ANALYZE shop.people');
  await admin.end();
  properties = new ConnectorRegistry([postgresConnectorFactory]).validateProperties('postgres', {
    host: server.host,
    port: server.port,
    database: server.database,
    user: server.user,
    password: server.password,
    poolMax: 3,
  }) as PostgresProperties;
  connector = new PostgresConnector(properties, { catalog: 'pg-test' });
});

afterAll(async () => {
  await connector?.close();
  await server?.stop();
});

describe('postgres connector', () => {
  peopleConformance({ connector: () => connector, database: 'shop' });

  it('sends parameterized SQL: the statement log shows placeholders and the values apart', async () => {
    const query = {
      database: 'shop',
      table: 'people',
      columns: ['id', 'name'],
      filter: {
        op: 'or' as const,
        args: [
          { op: 'eq' as const, column: 'name', value: "x'; DROP TABLE shop.people; --" },
          { op: 'prefix' as const, column: 'city', value: 'Ber' },
        ],
      },
      orderBy: [{ column: 'id', direction: 'desc' as const }],
      limit: 2,
    };
    const plan = await planScan(connector, connector.metadata(), query);
    const explained = await explainScan(connector, plan);
    const expectedSql =
      'SELECT "id", "name" FROM "shop"."people" WHERE ("name" = $1 OR "city" LIKE $2) ORDER BY "id" DESC NULLS FIRST LIMIT $3';
    expect(explained.source).toEqual({
      sql: expectedSql,
      params: ["x'; DROP TABLE shop.people; --", 'Ber%', 2],
    });
    const rows = await runQuery(connector, query);
    const expected = people
      .filter((p) => p.city?.startsWith('Ber'))
      .sort((a, b) => b.id - a.id)
      .slice(0, 2)
      .map((p) => ({ id: p.id, name: p.name }));
    expect(rows).toEqual(expected);
    // The server writes the DETAIL line after the statement line: wait for both to reach the file.
    const parameters = /parameters: \$1 = 'x''; DROP TABLE shop\.people; --', \$2 = 'Ber%', \$3 = '2'/;
    const log = await waitFor(() => (parameters.test(server.log()) ? server.log() : undefined), {
      description: 'the statement and its parameters in the server log',
      timeoutMs: 5_000,
    });
    // pg-cursor runs the statement unnamed, through a named portal (`execute <unnamed>/C_1: ...`).
    const executed = log.split('\n').filter((line) => line.includes(`: ${expectedSql}`));
    expect(executed.length).toBeGreaterThan(0);
    expect(executed.every((line) => /LOG: {2}execute <unnamed>(\/C_\d+)?: /.test(line))).toBe(true);
    expect(log).toMatch(/parameters: \$1 = 'x''; DROP TABLE shop\.people; --', \$2 = 'Ber%', \$3 = '2'/);
  });

  it('reports statistics: exact counts, min/max, distinct estimates from pg_stats', async () => {
    const stats = await connector.metadata().getStatistics({ database: 'shop', table: 'people' });
    const ages = people.map((p) => p.age).filter((age): age is number => age !== null);
    expect(stats.rowCount).toBe(people.length);
    expect(stats.columns.age).toEqual({
      nullCount: people.length - ages.length,
      min: Math.min(...ages),
      max: Math.max(...ages),
      distinctCount: new Set(ages).size,
    });
    expect(stats.columns.city?.distinctCount).toBe(
      new Set(people.map((p) => p.city).filter((c) => c !== null)).size,
    );
    expect(stats.columns.joined?.min).toBe(people[0]!.joined);
  });

  it('lists declarative partitions with their bounds', async () => {
    const partitions = await connector.metadata().listPartitions({ database: 'shop', table: 'events' });
    expect(partitions.map((p) => p.values)).toEqual([
      { partition: 'events_2024', bound: "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')" },
      { partition: 'events_2025', bound: "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')" },
    ]);
  });

  it('names an unknown table with NotFound and a wrong password with a masked BadGateway', async () => {
    await expect(connector.metadata().getTable({ database: 'shop', table: 'nope' })).rejects.toMatchObject({
      code: 'NotFound',
    });
    const wrongPassword = 'not-the-password-123';
    const broken = new PostgresConnector(
      { ...properties, password: wrongPassword },
      { catalog: 'broken', retry: { retries: 0, minTimeoutMs: 10, maxTimeoutMs: 10 } },
    );
    try {
      const error = await broken.health().catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'BadGateway' });
      expect((error as Error).message).toMatch(/password authentication failed/);
      expect((error as Error).message).not.toContain(wrongPassword);
    } finally {
      await broken.close();
    }
  });

  it('retries a refused connection with backoff, then reports it', async () => {
    const retries: number[] = [];
    const unreachable = new PostgresConnector(
      { ...properties, port: 1 },
      {
        catalog: 'down',
        retry: { retries: 2, minTimeoutMs: 10, maxTimeoutMs: 50 },
        onRetry: ({ attempt }) => retries.push(attempt),
      },
    );
    try {
      await expect(unreachable.health()).rejects.toMatchObject({
        code: 'BadGateway',
        message: /ECONNREFUSED/,
      });
      expect(retries).toEqual([1, 2]);
    } finally {
      await unreachable.close();
    }
  });

  it('holds at most poolMax connections, queues the rest, and closes idle ones after idleTimeoutMs', async () => {
    const limited = new PostgresConnector(
      { ...properties, poolMax: 2, idleTimeoutMs: 1_000 },
      { catalog: 'pool-limit' },
    );
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    const serverConnections = async () =>
      (
        await admin.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'star-catalog-pool-limit'",
        )
      ).rows[0].n as number;
    try {
      const table = await limited.metadata().getTable({ database: 'shop', table: 'people' });
      const scans = [0, 1, 2].map(() => limited.scan({ table, columns: ['id'] }));
      // Two scans stop after their first row and keep their connections.
      await scans[0]!.next();
      await scans[1]!.next();
      let thirdStarted = false;
      const third = scans[2]!.next().then((result) => {
        thirdStarted = true;
        return result;
      });
      await waitFor(async () => (await serverConnections()) === 2, { description: 'two pooled connections' });
      expect(thirdStarted).toBe(false);
      await scans[0]!.return(undefined);
      expect((await third).done).toBe(false);
      expect(await serverConnections()).toBe(2);
      await scans[1]!.return(undefined);
      await scans[2]!.return(undefined);
      await waitFor(async () => (await serverConnections()) === 0, {
        description: 'idle connections to close',
        timeoutMs: 10_000,
      });
    } finally {
      await admin.end();
      await limited.close();
    }
  });

  it('stopping a stream early returns its connection to the pool in a usable state', async () => {
    for (let round = 0; round < 5; round++) {
      const rows = await runQuery(connector, {
        database: 'shop',
        table: 'people',
        filter: { op: 'ge', column: 'id', value: 1 },
        columns: ['id'],
      });
      expect(rows).toHaveLength(people.length);
      for await (const _row of connector.scan({
        table: await connector.metadata().getTable({ database: 'shop', table: 'people' }),
        columns: ['id'],
      }))
        break;
    }
    await connector.health();
  });
});
