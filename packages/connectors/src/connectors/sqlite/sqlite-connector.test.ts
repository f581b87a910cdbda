import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupTempDirs, tempDir } from '@star/testkit';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainScan, planScan } from '../../engine/scan-planner.js';
import { peopleConformance, runQuery } from '../../testing/connector-conformance.js';
import { people } from '../../testing/people-dataset.js';
import { SqliteConnector } from './sqlite-connector.js';

let connector: SqliteConnector;
let path: string;

beforeAll(() => {
  path = join(tempDir('star-sqlite-').path, 'shop.db');
  const db = new Database(path);
  db.exec(`CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT, age INTEGER,
    score REAL, active BOOLEAN NOT NULL, joined DATETIME NOT NULL)`);
  const insert = db.prepare('INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?)');
  for (const p of people) insert.run(p.id, p.name, p.city, p.age, p.score, p.active ? 1 : 0, p.joined);
  db.close();
  connector = new SqliteConnector({ path, busyTimeoutMs: 1_000 }, { catalog: 'lite' });
});

afterAll(async () => {
  await connector?.close();
  await cleanupTempDirs();
});

describe('sqlite connector', () => {
  // SQLite's LIKE is case-insensitive, so like terms are evaluated by the gateway instead.
  peopleConformance({
    connector: () => connector,
    database: 'main',
    notPushed: ['like', 'like is case-sensitive'],
  });

  it('pushes what it can and leaves like to the gateway, as explain shows', async () => {
    const query = {
      database: 'main',
      table: 'people',
      columns: ['id'],
      filter: {
        op: 'and' as const,
        args: [
          { op: 'prefix' as const, column: 'name', value: 'eve' },
          { op: 'like' as const, column: 'name', pattern: '%-1_' },
        ],
      },
      orderBy: [{ column: 'id' }],
      limit: 10,
    };
    const plan = await planScan(connector, connector.metadata(), query);
    const explained = await explainScan(connector, plan);
    expect(explained).toMatchObject({
      pushed: { columns: ['id', 'name'], filter: query.filter.args[0] },
      remaining: { filter: query.filter.args[1], orderBy: [{ column: 'id', direction: 'asc' }], limit: 10 },
      source: {
        sql: 'SELECT "id", "name" FROM "main"."people" WHERE substr("name", 1, ?) = ?',
        params: [3, 'eve'],
      },
    });
    const rows = await runQuery(connector, query);
    expect(rows).toEqual(people.filter((p) => /^eve.*-1.$/.test(p.name)).map((p) => ({ id: p.id })));
  });

  it('reports exact statistics including distinct counts', async () => {
    const stats = await connector.metadata().getStatistics({ database: 'main', table: 'people' });
    expect(stats.rowCount).toBe(people.length);
    expect(stats.columns.city).toEqual({
      nullCount: people.filter((p) => p.city === null).length,
      min: 'Berlin',
      max: 'paris',
      distinctCount: new Set(people.map((p) => p.city).filter((c) => c !== null)).size,
    });
  });

  it('an unknown table is NotFound; a missing file is a BadGateway and is never created', async () => {
    await expect(runQuery(connector, { database: 'main', table: 'nope' })).rejects.toMatchObject({
      code: 'NotFound',
    });
    const missing = new SqliteConnector(
      { path: join(path, '..', 'missing.db'), busyTimeoutMs: 0 },
      { catalog: 'gone' },
    );
    await expect(missing.health()).rejects.toMatchObject({ code: 'BadGateway' });
    expect(existsSync(join(path, '..', 'missing.db'))).toBe(false);
  });
});
