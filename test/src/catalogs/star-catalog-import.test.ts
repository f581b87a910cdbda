import { randomBytes } from 'node:crypto';
import { StarClient } from '@star/client';
import { type PostgresServer, type RunningService, StarCluster, startPostgres, waitFor } from '@star/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A Star cluster with two gateways and a private PostgreSQL: the `star` connector reads the
// cluster's own namespaces; an import copies 100,000 PostgreSQL rows into a namespace and survives
// the gateway running it being killed midway.
let cluster: StarCluster;
let postgres: PostgresServer;
let client: StarClient;
const gateways: RunningService[] = [];
const ROWS = 100_000;

beforeAll(async () => {
  [cluster, postgres] = await Promise.all([StarCluster.start({ managers: 1, nodes: 3 }), startPostgres()]);
  await cluster.waitForNodes(3);
  const { url } = await cluster.leader();
  await cluster.api(url, 'POST', '/v1/namespaces', { name: 'kv', shards: 3, replicationFactor: 3 });
  await cluster.api(url, 'POST', '/v1/namespaces', { name: 'imported', shards: 4, replicationFactor: 3 });
  const env = { STAR_CATALOG_SECRET_KEY: randomBytes(32).toString('base64'), STAR_IMPORT_LOCK_MS: '1500' };
  gateways.push(await cluster.startGateway('g1', env), await cluster.startGateway('g2', env));
  client = await StarClient.connect({ managers: cluster.managerUrls, apiKey: cluster.adminKey });

  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query(
    `CREATE TABLE public.people AS
       SELECT g AS id, 'person-' || g AS name, (g % 90) AS age FROM generate_series(1, ${ROWS}) g`,
  );
  await admin.query('ALTER TABLE public.people ADD PRIMARY KEY (id)');
  await admin.end();
});
afterAll(async () => {
  client?.close();
  await cluster?.stop();
  await postgres?.stop();
});

async function call(gateway: RunningService, method: string, path: string, body?: unknown) {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      ...cluster.authHeaders,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: () => JSON.parse(text), text };
}

describe('the star connector', () => {
  it('shows namespaces as tables and pushes key ranges, key order and limits into node scans', async () => {
    for (let i = 0; i < 30; i++) await client.put('kv', `user/${String(i).padStart(2, '0')}`, `u${i}`);
    await client.put('kv', 'other', 'x', { contentType: 'text/plain' });
    expect(
      (await call(gateways[0]!, 'POST', '/v1/catalogs', { name: 'cluster', type: 'star', properties: {} }))
        .status,
    ).toBe(201);

    const databases = (await call(gateways[1]!, 'GET', '/v1/catalogs/cluster/databases')).json();
    expect(JSON.stringify(databases)).toContain('namespaces');
    const tables = (
      await call(gateways[1]!, 'GET', '/v1/catalogs/cluster/databases/namespaces/tables')
    ).json();
    expect(JSON.stringify(tables)).toContain('"kv"');

    const query = {
      table: 'namespaces.kv',
      columns: ['key', 'value', 'version'],
      filter: {
        op: 'and',
        args: [
          { op: 'prefix', column: 'key', value: 'user/' },
          { op: 'ge', column: 'key', value: 'user/10' },
          { op: 'ne', column: 'value', value: 'u12' },
        ],
      },
      orderBy: [{ column: 'key', direction: 'asc' }],
      limit: 4,
    };
    const result = (await call(gateways[1]!, 'POST', '/v1/catalogs/cluster/query', query)).json();
    expect(result.rows.map((row: { key: string }) => row.key)).toEqual([
      'user/10',
      'user/11',
      'user/13',
      'user/14',
    ]);
    expect(result.rows[0].value).toBe('u10');
    expect(result.rows[0].version).toBeGreaterThan(0);

    const explained = (
      await call(gateways[1]!, 'POST', '/v1/catalogs/cluster/query?explain=true', query)
    ).json();
    // The key terms went to the nodes as a range; the value term stayed in the gateway, so order and limit did too.
    expect(explained.source).toMatchObject({
      namespace: 'kv',
      keyRange: { prefix: 'user/', start: 'user/10' },
    });
    expect(JSON.stringify(explained.remaining)).toContain('u12');

    const pushedAll = (
      await call(gateways[1]!, 'POST', '/v1/catalogs/cluster/query?explain=true', {
        table: 'namespaces.kv',
        filter: { op: 'prefix', column: 'key', value: 'user/2' },
        orderBy: [{ column: 'key', direction: 'asc' }],
        limit: 3,
      })
    ).json();
    expect(pushedAll.remaining).toEqual({});
    expect(pushedAll.source).toMatchObject({ keyRange: { prefix: 'user/2' }, limit: 3 });

    const sql = (
      await call(gateways[0]!, 'POST', '/v1/catalogs/cluster/query', {
        sql: "SELECT key, content_type FROM namespaces.kv WHERE key = 'other'",
      })
    ).json();
    expect(sql.rows).toEqual([{ key: 'other', content_type: 'text/plain' }]);
    expect(
      (await call(gateways[0]!, 'GET', '/v1/catalogs/cluster/databases/namespaces/tables/nope')).status,
    ).toBe(404);
  });
});

describe('imports', () => {
  it('copies 100,000 PostgreSQL rows into a namespace, exactly once each, with the running gateway killed midway', async () => {
    const catalog = {
      name: 'pg',
      type: 'postgres',
      properties: {
        host: postgres.host,
        port: postgres.port,
        database: postgres.database,
        user: postgres.user,
        password: postgres.password,
      },
    };
    expect((await call(gateways[0]!, 'POST', '/v1/catalogs', catalog)).status).toBe(201);
    const request = {
      id: 'people-1',
      source: { table: 'public.people' },
      namespace: 'imported',
      keyColumn: 'id',
      batchSize: 500,
    };
    const started = await call(gateways[0]!, 'POST', '/v1/catalogs/pg/imports', request);
    expect(started.status).toBe(202);
    // Asking again is the same import, not a second one.
    expect((await call(gateways[1]!, 'POST', '/v1/catalogs/pg/imports', request)).json().id).toBe('people-1');

    // Let it get going, then kill whichever gateway runs it.
    await waitFor(
      async () =>
        ((await call(gateways[1]!, 'GET', '/v1/catalogs/pg/imports/people-1')).json().progress?.rows ?? 0) >=
        15_000,
      { description: 'the import to pass 15,000 rows', timeoutMs: 60_000 },
    );
    const runner = gateways.find((gateway) => gateway.process.logs().includes('import started'))!;
    const survivor = gateways.find((gateway) => gateway !== runner)!;
    runner.process.kill('SIGKILL');
    const killedAt = (await call(survivor, 'GET', '/v1/catalogs/pg/imports/people-1')).json().progress.rows;
    expect(killedAt).toBeLessThan(ROWS);

    const done = await waitFor(
      async () => {
        const status = (await call(survivor, 'GET', '/v1/catalogs/pg/imports/people-1')).json();
        return status.state === 'completed' ? status : undefined;
      },
      { description: 'the import to complete on the surviving gateway', timeoutMs: 120_000 },
    );
    expect(done.progress.rows).toBe(ROWS);
    const resumedLine = survivor.process
      .logs()
      .split('\n')
      .find((line) => line.includes('import started'));
    expect(JSON.parse(resumedLine!).resumeAfter).toBeGreaterThan(0);

    let keys = 0;
    const seen = new Set<string>();
    for await (const record of client.scan('imported', { limit: 5_000 })) {
      keys++;
      seen.add(record.key);
    }
    expect(keys).toBe(ROWS);
    expect(seen.size).toBe(ROWS);
    const sample = JSON.parse(Buffer.from((await client.get('imported', '77777')).value).toString());
    expect(sample).toEqual({ id: 77777, name: 'person-77777', age: 77777 % 90 });

    // What no worker could do is refused up front.
    for (const [body, status] of [
      [{ ...request, id: 'x', source: { table: 'public.nope' } }, 404],
      [{ ...request, id: 'x', keyColumn: 'nope' }, 400],
      [{ ...request, id: 'x', namespace: 'nope' }, 404],
      [{ ...request, id: 'bad id!' }, 400],
    ] as const) {
      expect((await call(survivor, 'POST', '/v1/catalogs/pg/imports', body)).status).toBe(status);
    }
    expect((await call(survivor, 'GET', '/v1/catalogs/pg/imports/never')).status).toBe(404);
  }, 240_000);
});
