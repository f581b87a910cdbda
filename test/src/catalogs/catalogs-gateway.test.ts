import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cleanupTempDirs,
  type PostgresServer,
  type RedisServer,
  type RunningService,
  startPostgres,
  startRedis,
  startService,
  tempDir,
  waitFor,
} from '@star/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Two gateways over one Redis, a private PostgreSQL, a SQLite file and a files directory: catalogs
// created on one gateway are served by the other, secrets never leave in answers or logs.
const adminKey = `admin-${randomBytes(12).toString('hex')}`;
const secretKey = randomBytes(32).toString('base64');
const wrongPassword = `wrong-${randomBytes(8).toString('hex')}`;
let redis: RedisServer;
let postgres: PostgresServer;
let gatewayA: RunningService;
let gatewayB: RunningService;
let dataDir: string;
/** Every answer body seen, to check none carries a secret. */
const answers: string[] = [];

const rows = Array.from({ length: 500 }, (_, i) => ({
  id: i + 1,
  sku: `sku-${String(i + 1).padStart(4, '0')}`,
  qty: (i * 7) % 50,
}));

async function call(
  gateway: RunningService,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers are JSON whose shape each test asserts with expect
  json: () => any;
  contentType: string;
}> {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${adminKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  answers.push(text);
  return {
    status: response.status,
    text,
    json: () => JSON.parse(text),
    contentType: response.headers.get('content-type') ?? '',
  };
}

async function startGateway(name: string): Promise<RunningService> {
  const gateway = await startService(
    'gateway',
    {
      STAR_REDIS_URL: redis.url,
      STAR_INSTANCE_ID: name,
      STAR_ADMIN_KEY: adminKey,
      STAR_CATALOG_SECRET_KEY: secretKey,
      STAR_CATALOG_METADATA_TTL_MS: '60000',
      // No cluster: the catalog routes do not need one.
      STAR_MANAGERS: 'http://127.0.0.1:1',
    },
    { waitHealthy: false },
  );
  await waitFor(
    async () => (await fetch(`${gateway.url}/health`).catch(() => undefined))?.status !== undefined,
    {
      description: `${name} to listen`,
      timeoutMs: 20_000,
    },
  );
  return gateway;
}

function pgCatalog(name: string, overrides: Record<string, unknown> = {}) {
  return {
    name,
    type: 'postgres',
    properties: {
      host: postgres.host,
      port: postgres.port,
      database: postgres.database,
      user: postgres.user,
      password: postgres.password,
      poolMax: 4,
      idleTimeoutMs: 5_000,
      ...overrides,
    },
  };
}

beforeAll(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query('CREATE TABLE public.items (id int PRIMARY KEY, sku text NOT NULL, qty int NOT NULL)');
  await admin.query('INSERT INTO public.items SELECT * FROM unnest($1::int[], $2::text[], $3::int[])', [
    rows.map((r) => r.id),
    rows.map((r) => r.sku),
    rows.map((r) => r.qty),
  ]);
  await admin.query(
    'CREATE TABLE public.big AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 200000) g',
  );
  await admin.end();
  dataDir = tempDir('star-catalog-files-').path;
  mkdirSync(join(dataDir, 'app', 'logs', 'day=2024-05-01'), { recursive: true });
  writeFileSync(
    join(dataDir, 'app', 'logs', 'day=2024-05-01', 'a.ndjson'),
    '{"level":"info","n":1}\n{"level":"warn","n":2}\n',
  );
  [gatewayA, gatewayB] = await Promise.all([startGateway('gateway-a'), startGateway('gateway-b')]);
});

afterAll(async () => {
  await Promise.all([gatewayA?.process.stop(), gatewayB?.process.stop()]);
  await Promise.all([postgres?.stop(), redis?.stop()]);
  await cleanupTempDirs();
});

describe('catalogs through the gateway', () => {
  it('creates a catalog on one gateway; the other sees it; the password is masked and encrypted at rest', async () => {
    const created = await call(gatewayA, 'POST', '/v1/catalogs', pgCatalog('shop'));
    expect(created.status).toBe(201);
    expect(created.json().properties).toMatchObject({
      password: '********',
      port: postgres.port,
      poolMax: 4,
    });
    const seen = await call(gatewayB, 'GET', '/v1/catalogs/shop');
    expect(seen.status).toBe(200);
    expect(seen.json()).toMatchObject({
      name: 'shop',
      type: 'postgres',
      properties: { password: '********' },
    });
    expect(
      (await call(gatewayB, 'GET', '/v1/catalogs')).json().catalogs.map((c: { name: string }) => c.name),
    ).toEqual(['shop']);
    const stored = await redis.client().hget('star:catalogs', 'shop');
    expect(stored).not.toContain(postgres.password);
    expect(JSON.parse(stored!).properties.password.sealed).toMatch(/^v1:/);
  });

  it('rejects bad catalogs with a 4xx naming the problem', async () => {
    const cases: [unknown, number, RegExp][] = [
      [
        { name: 'x', type: 'oracle', properties: {} },
        400,
        /unknown connector type "oracle"; known types: postgres, mysql, sqlite, files/,
      ],
      [{ name: 'x', type: 'postgres', properties: { host: 'h', database: 'd' } }, 400, /property "user"/],
      [
        { name: 'x', type: 'postgres', properties: { host: 'h', database: 'd', user: 'u', port: 'five' } },
        400,
        /property "port"/,
      ],
      [
        { name: 'x', type: 'sqlite', properties: { path: '/x', colour: 1 } },
        400,
        /unknown sqlite catalog property "colour"/,
      ],
      [{ name: 'bad name!', type: 'sqlite', properties: { path: '/x' } }, 400, /name/],
      [pgCatalog('shop'), 409, /already exists/],
    ];
    for (const [body, status, message] of cases) {
      const answer = await call(gatewayA, 'POST', '/v1/catalogs', body);
      expect(answer.status, answer.text).toBe(status);
      expect(answer.json().message).toMatch(message);
    }
    expect((await call(gatewayA, 'GET', '/v1/catalogs/nope')).status).toBe(404);
    expect((await fetch(`${gatewayA.url}/v1/catalogs`)).status).toBe(401);
  });

  it('discovers databases, tables, a table schema with statistics', async () => {
    expect((await call(gatewayB, 'GET', '/v1/catalogs/shop/health')).json()).toMatchObject({ status: 'ok' });
    expect((await call(gatewayB, 'GET', '/v1/catalogs/shop/databases')).json().databases).toContain('public');
    expect((await call(gatewayB, 'GET', '/v1/catalogs/shop/databases/public/tables')).json().tables).toEqual([
      'big',
      'items',
    ]);
    const table = (await call(gatewayB, 'GET', '/v1/catalogs/shop/databases/public/tables/items')).json();
    expect(table.columns.map((c: { name: string; type: string }) => [c.name, c.type])).toEqual([
      ['id', 'integer'],
      ['sku', 'string'],
      ['qty', 'integer'],
    ]);
    expect(table.statistics).toMatchObject({
      rowCount: rows.length,
      columns: { qty: { min: 0, max: 49, nullCount: 0 } },
    });
    expect((await call(gatewayB, 'GET', '/v1/catalogs/shop/databases/public/tables/nope')).status).toBe(404);
  });

  it('streams a JSON query as NDJSON, answers JSON on Accept, and explains what was pushed', async () => {
    const query = {
      table: 'public.items',
      columns: ['id', 'sku'],
      filter: {
        op: 'and',
        args: [
          { op: 'ge', column: 'qty', value: 45 },
          { op: 'prefix', column: 'sku', value: 'sku-01' },
        ],
      },
      orderBy: [{ column: 'id', direction: 'desc' }],
      limit: 5,
    };
    const expected = rows
      .filter((r) => r.qty >= 45 && r.sku.startsWith('sku-01'))
      .sort((a, b) => b.id - a.id)
      .slice(0, 5)
      .map((r) => ({ id: r.id, sku: r.sku }));
    const streamed = await call(gatewayB, 'POST', '/v1/catalogs/shop/query', query);
    expect(streamed.status).toBe(200);
    expect(streamed.contentType).toMatch(/application\/x-ndjson/);
    expect(
      streamed.text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual(expected);
    const json = await call(gatewayB, 'POST', '/v1/catalogs/shop/query', query, {
      accept: 'application/json',
    });
    expect(json.json()).toEqual({ columns: ['id', 'sku'], rows: expected, rowCount: expected.length });
    const explained = (await call(gatewayB, 'POST', '/v1/catalogs/shop/query?explain=true', query)).json();
    expect(explained).toMatchObject({
      pushed: { columns: ['id', 'sku'], filter: query.filter, limit: 5 },
      remaining: {},
      source: {
        sql: 'SELECT "id", "sku" FROM "public"."items" WHERE ("qty" >= $1 AND "sku" LIKE $2) ORDER BY "id" DESC NULLS FIRST LIMIT $3',
        params: [45, 'sku-01%', 5],
      },
    });
  });

  it('runs single-table SQL, and says why for joins and type errors', async () => {
    const sql = await call(
      gatewayA,
      'POST',
      '/v1/catalogs/shop/query',
      {
        sql: "SELECT id FROM public.items WHERE sku IN ('sku-0003', 'sku-0004') OR id BETWEEN 10 AND 11 ORDER BY id",
      },
      { accept: 'application/json' },
    );
    expect(sql.json().rows).toEqual([{ id: 3 }, { id: 4 }, { id: 10 }, { id: 11 }]);
    const join = await call(gatewayA, 'POST', '/v1/catalogs/shop/query', {
      sql: 'SELECT a.id FROM public.items a JOIN public.items b ON a.id = b.id',
    });
    expect(join.status).toBe(400);
    expect(join.json().message).toMatch(/joins are not supported/);
    const typeError = await call(gatewayA, 'POST', '/v1/catalogs/shop/query', {
      table: 'public.items',
      filter: { op: 'gt', column: 'qty', value: 'many' },
    });
    expect(typeError.status).toBe(400);
    expect(typeError.json().message).toMatch(/value "many" does not fit column "qty" of type integer/);
    const badShape = await call(gatewayA, 'POST', '/v1/catalogs/shop/query', {
      table: 'public.items',
      filter: { op: 'near' },
    });
    expect(badShape.status).toBe(400);
  });

  it('serves sqlite and files catalogs the same way', async () => {
    const sqlitePath = join(dataDir, 'missing.db');
    expect(
      (
        await call(gatewayA, 'POST', '/v1/catalogs', {
          name: 'lite',
          type: 'sqlite',
          properties: { path: sqlitePath },
        })
      ).status,
    ).toBe(201);
    const missing = await call(gatewayA, 'GET', '/v1/catalogs/lite/health');
    expect(missing.status).toBe(502);
    expect(
      (
        await call(gatewayA, 'POST', '/v1/catalogs', {
          name: 'lake',
          type: 'files',
          properties: { root: dataDir },
        })
      ).status,
    ).toBe(201);
    const answer = await call(
      gatewayB,
      'POST',
      '/v1/catalogs/lake/query',
      { sql: "SELECT n, day FROM app.logs WHERE level = 'warn' AND day = '2024-05-01'" },
      { accept: 'application/json' },
    );
    expect(answer.json()).toEqual({
      columns: ['n', 'day'],
      rows: [{ n: 2, day: '2024-05-01' }],
      rowCount: 1,
    });
    const table = (await call(gatewayB, 'GET', '/v1/catalogs/lake/databases/app/tables/logs')).json();
    expect(table.partitions).toEqual([
      { values: { day: '2024-05-01' }, location: 'app/logs/day=2024-05-01', files: 1 },
    ]);
  });

  it('an unreachable source or wrong password is a 502 with the source error, credentials masked; the gateway keeps serving', async () => {
    expect((await call(gatewayA, 'POST', '/v1/catalogs', pgCatalog('down', { port: 1 }))).status).toBe(201);
    const down = await call(gatewayA, 'POST', '/v1/catalogs/down/query', { table: 'public.items' });
    expect(down.status).toBe(502);
    expect(down.json()).toMatchObject({ code: 'BadGateway', message: /ECONNREFUSED/ });
    expect(
      (await call(gatewayA, 'POST', '/v1/catalogs', pgCatalog('locked', { password: wrongPassword }))).status,
    ).toBe(201);
    const locked = await call(gatewayA, 'GET', '/v1/catalogs/locked/health');
    expect(locked.status).toBe(502);
    expect(locked.json().message).toMatch(/password authentication failed/);
    expect((await call(gatewayA, 'GET', '/v1/catalogs/shop/health')).status).toBe(200);
  });

  it('a client that hangs up mid-stream stops the scan and frees its connection', async () => {
    const states = async () => {
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      const result = await client.query(
        "SELECT state FROM pg_stat_activity WHERE application_name = 'star-catalog-shop' AND query LIKE '%public\".\"big%'",
      );
      await client.end();
      return result.rows.map((row) => row.state as string);
    };
    const completedQueries = async () => {
      const metrics = await (await fetch(`${gatewayB.url}/metrics`)).text();
      return Number(
        /star_catalog_queries_total\{catalog="shop",outcome="ok"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0,
      );
    };
    const completedBefore = await completedQueries();
    expect(completedBefore).toBeGreaterThan(0);
    const controller = new AbortController();
    const response = await fetch(`${gatewayB.url}/v1/catalogs/shop/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ table: 'public.big' }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value).split('\n')[0]).toMatch(/^\{"id":\d+,"h":"[0-9a-f]{32}"\}$/);
    controller.abort();
    await waitFor(async () => (await states()).every((state) => state === 'idle'), {
      description: 'the big scan to end and its connection to be idle in the pool',
      timeoutMs: 10_000,
    });
    // The stream ended early: the query never counted as completed.
    expect(await completedQueries()).toBe(completedBefore);
    const again = await call(
      gatewayB,
      'POST',
      '/v1/catalogs/shop/query',
      { table: 'public.big', limit: 3 },
      { accept: 'application/json' },
    );
    expect(again.json().rowCount).toBe(3);
  });

  it('deleting a catalog on one gateway closes its pool on every gateway', async () => {
    const connections = async () => {
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      const result = await client.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'star-catalog-shop'",
      );
      await client.end();
      return result.rows[0].n as number;
    };
    expect(await connections()).toBeGreaterThan(0);
    expect((await call(gatewayA, 'DELETE', '/v1/catalogs/shop')).status).toBe(204);
    await waitFor(async () => (await connections()) === 0, {
      description: 'both gateways to close the pool',
      timeoutMs: 10_000,
    });
    expect((await call(gatewayB, 'POST', '/v1/catalogs/shop/query', { table: 'public.items' })).status).toBe(
      404,
    );
    expect((await call(gatewayB, 'DELETE', '/v1/catalogs/shop')).status).toBe(404);
  });

  it('no secret appears in any answer or log line', async () => {
    const secrets = [postgres.password, wrongPassword, secretKey];
    for (const answer of answers) for (const secret of secrets) expect(answer).not.toContain(secret);
    const logs = [gatewayA, gatewayB]
      .map((gateway) => readFileSync(gateway.process.logFile, 'utf8'))
      .join('\n');
    expect(logs).toMatch(/catalog created/);
    expect(logs).toMatch(/retrying a source call/);
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});
