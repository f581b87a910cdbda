import type { RunningService, StarCluster } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyPath, startGatewayCluster } from './gateway-fixture.js';

let cluster: StarCluster;
let gateway: RunningService;
const MAX_VALUE = 64 * 1024;

beforeAll(async () => {
  ({ cluster, gateway } = await startGatewayCluster({
    namespaces: [
      { name: 'docs', shards: 4 },
      { name: 'lists', shards: 3 },
    ],
    env: { STAR_MAX_VALUE_BYTES: String(MAX_VALUE) },
  }));
});
afterAll(async () => {
  await cluster?.stop();
});

function call(
  method: string,
  path: string,
  init: { body?: RequestInit['body']; headers?: Record<string, string> } = {},
) {
  return fetch(`${gateway.url}${path}`, {
    method,
    ...init,
    headers: { ...cluster.authHeaders, ...init.headers },
    signal: AbortSignal.timeout(15_000),
  });
}

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

describe('single keys', () => {
  it('puts raw bytes with their content type and reads them back with ETag and version headers', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const put = await call('PUT', keyPath('docs', 'blob'), {
      body: bytes,
      headers: { 'content-type': 'application/x-star-test' },
    });
    expect(put.status).toBe(200);
    const written = await json<{
      version: number;
      createdAt: number;
      modifiedAt: number;
      modifications: number;
    }>(put);
    expect(written.version).toBeGreaterThan(0);
    expect(written.modifications).toBe(1);
    expect(written.createdAt).toBe(written.modifiedAt);
    expect(put.headers.get('etag')).toBe(`"${written.version}"`);

    const get = await call('GET', keyPath('docs', 'blob'));
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('application/x-star-test');
    expect(get.headers.get('etag')).toBe(`"${written.version}"`);
    expect(get.headers.get('x-star-version')).toBe(String(written.version));
    expect(get.headers.get('x-star-modifications')).toBe('1');
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(bytes);

    const notModified = await call('GET', keyPath('docs', 'blob'), {
      headers: { 'if-none-match': `"${written.version}"` },
    });
    expect(notModified.status).toBe(304);
  });

  it('keeps JSON bodies as bytes and serves keys with slashes, spaces and non-ASCII characters', async () => {
    for (const key of ['a/b/c', 'with space', 'ключ-😀', '%literal']) {
      const body = JSON.stringify({ key });
      const put = await call('PUT', keyPath('docs', key), {
        body,
        headers: { 'content-type': 'application/json' },
      });
      expect(put.status, key).toBe(200);
      const get = await call('GET', keyPath('docs', key));
      expect(get.status, key).toBe(200);
      expect(get.headers.get('content-type')).toBe('application/json');
      expect(await get.text()).toBe(body);
    }
  });

  it('conditional puts: If-Match on the current version, If-None-Match: * only creates, 412 otherwise', async () => {
    const created = await call('PUT', keyPath('docs', 'cond'), {
      body: 'v1',
      headers: { 'if-none-match': '*' },
    });
    expect(created.status).toBe(200);
    const v1 = (await json<{ version: number }>(created)).version;

    const again = await call('PUT', keyPath('docs', 'cond'), {
      body: 'v1b',
      headers: { 'if-none-match': '*' },
    });
    expect(again.status).toBe(412);
    expect(await json(again)).toMatchObject({ code: 'PreconditionFailed', details: { version: v1 } });

    const matched = await call('PUT', keyPath('docs', 'cond'), {
      body: 'v2',
      headers: { 'if-match': `"${v1}"` },
    });
    expect(matched.status).toBe(200);
    const v2 = await json<{ version: number; modifications: number }>(matched);
    expect(v2.version).toBeGreaterThan(v1);
    expect(v2.modifications).toBe(2);

    const stale = await call('PUT', keyPath('docs', 'cond'), {
      body: 'v3',
      headers: { 'if-match': `"${v1}"` },
    });
    expect(stale.status).toBe(412);
    expect(await (await call('GET', keyPath('docs', 'cond'))).text()).toBe('v2');

    const missing = await call('PUT', keyPath('docs', 'never-written'), {
      body: 'x',
      headers: { 'if-match': '"5"' },
    });
    expect(missing.status).toBe(412);
  });

  it('deletes: 204, then 404; If-Match on a stale version is 412 and keeps the key', async () => {
    const put = await json<{ version: number }>(await call('PUT', keyPath('docs', 'gone'), { body: 'x' }));
    const stale = await call('DELETE', keyPath('docs', 'gone'), {
      headers: { 'if-match': `"${put.version - 1}"` },
    });
    expect(stale.status).toBe(412);
    expect((await call('GET', keyPath('docs', 'gone'))).status).toBe(200);
    const deleted = await call('DELETE', keyPath('docs', 'gone'), {
      headers: { 'if-match': `"${put.version}"` },
    });
    expect(deleted.status).toBe(204);
    expect((await call('DELETE', keyPath('docs', 'gone'))).status).toBe(404);
    const get = await call('GET', keyPath('docs', 'gone'));
    expect(get.status).toBe(404);
    expect(await json(get)).toMatchObject({ code: 'NotFound' });

    // Recreated after a delete, a key starts over: one modification, a fresh createdAt.
    const again = await json<{ modifications: number }>(
      await call('PUT', keyPath('docs', 'gone'), { body: 'y' }),
    );
    expect(again.modifications).toBe(1);
  });

  it('a partition key places unrelated keys on one shard and is needed to read them back', async () => {
    const put = await call('PUT', `${keyPath('docs', 'order-1')}?partitionKey=customer-7`, { body: 'o1' });
    expect(put.status).toBe(200);
    const get = await call('GET', `${keyPath('docs', 'order-1')}?partitionKey=customer-7`);
    expect(await get.text()).toBe('o1');
  });

  it('bad input gets a 4xx naming the problem and writes nothing', async () => {
    const longKey = 'k'.repeat(1025);
    const cases: [
      string,
      string,
      { body?: RequestInit['body']; headers?: Record<string, string> },
      number,
      RegExp,
    ][] = [
      ['PUT', keyPath('docs', longKey), { body: 'x' }, 400, /1024/],
      ['PUT', keyPath('docs', 'big'), { body: new Uint8Array(MAX_VALUE + 1) }, 413, /large|limit/i],
      [
        'PUT',
        keyPath('docs', 'badtag'),
        { body: 'x', headers: { 'if-match': 'yesterday' } },
        400,
        /If-Match/,
      ],
      [
        'PUT',
        keyPath('docs', 'badtag'),
        { body: 'x', headers: { 'if-none-match': '"3"' } },
        400,
        /If-None-Match/,
      ],
      ['PUT', keyPath('docs', 'badtag'), { body: 'x', headers: { 'if-match': '*' } }, 400, /not supported/],
      ['PUT', keyPath('nope', 'k'), { body: 'x' }, 404, /namespace nope/],
      ['GET', keyPath('nope', 'k'), {}, 404, /namespace nope/],
      ['PUT', keyPath('Bad Name!', 'k'), { body: 'x' }, 400, /ns/],
      ['DELETE', keyPath('docs', 'badtag'), { headers: { 'if-match': 'W/x' } }, 400, /If-Match/],
    ];
    for (const [method, path, init, status, message] of cases) {
      const response = await call(method, path, init);
      expect(response.status, `${method} ${path.slice(0, 60)}`).toBe(status);
      const body = await json<{ code: string; message: string }>(response);
      expect(body.message, `${method} ${path.slice(0, 60)}`).toMatch(message);
    }
    expect((await call('GET', keyPath('docs', 'big'))).status).toBe(404);
    expect((await call('GET', keyPath('docs', 'badtag'))).status).toBe(404);
  });
});

describe('listing', () => {
  const keys = Array.from({ length: 45 }, (_, i) => `item/${String(i).padStart(3, '0')}`);

  beforeAll(async () => {
    for (const key of keys)
      expect((await call('PUT', keyPath('lists', key), { body: `value of ${key}` })).status).toBe(200);
    expect((await call('PUT', keyPath('lists', 'other/1'), { body: 'o' })).status).toBe(200);
  });

  it('pages through a prefix in key order across shards with an opaque cursor', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const query = new URLSearchParams({ prefix: 'item/', limit: '10', ...(cursor ? { cursor } : {}) });
      const page = await json<{ keys: { key: string; version: number; value?: string }[]; cursor?: string }>(
        await call('GET', `/v1/namespaces/lists/keys?${query}`),
      );
      expect(page.keys.length).toBeLessThanOrEqual(10);
      for (const record of page.keys) {
        expect(record.version).toBeGreaterThan(0);
        expect(record.value).toBeUndefined();
      }
      seen.push(...page.keys.map((record) => record.key));
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(keys);
  });

  it('ranges with start/end, limits, and values as base64 on request', async () => {
    const query = new URLSearchParams({ start: 'item/010', end: 'item/013', values: 'true' });
    const page = await json<{ keys: { key: string; value: string }[]; cursor?: string }>(
      await call('GET', `/v1/namespaces/lists/keys?${query}`),
    );
    expect(page.keys.map((record) => record.key)).toEqual(['item/010', 'item/011', 'item/012']);
    expect(Buffer.from(page.keys[0]!.value, 'base64').toString()).toBe('value of item/010');
    expect(page.cursor).toBeUndefined();

    const all = await json<{ keys: { key: string }[] }>(
      await call('GET', '/v1/namespaces/lists/keys?limit=1000'),
    );
    expect(all.keys).toHaveLength(46);
  });

  it('refuses a bad limit or a forged cursor with 400', async () => {
    for (const query of ['limit=0', 'limit=abc', 'limit=100000', 'cursor=not-a-cursor', 'values=maybe']) {
      const response = await call('GET', `/v1/namespaces/lists/keys?${query}`);
      expect(response.status, query).toBe(400);
      expect((await json<{ code: string }>(response)).code).toBe('BadRequest');
    }
    expect((await call('GET', '/v1/namespaces/none/keys')).status).toBe(404);
  });
});

describe('batch', () => {
  it('runs each operation with its own result, in order per key', async () => {
    const response = await call('POST', '/v1/namespaces/docs/batch', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        operations: [
          { op: 'put', key: 'b/1', value: 'one' },
          {
            op: 'put',
            key: 'b/2',
            value: Buffer.from([1, 2, 3]).toString('base64'),
            encoding: 'base64',
            contentType: 'application/octet-stream',
          },
          { op: 'get', key: 'b/1' },
          { op: 'put', key: 'b/1', value: 'uno', createOnly: true },
          { op: 'delete', key: 'b/missing' },
          { op: 'get', key: 'b/missing' },
          { op: 'delete', key: 'b/2', expectedVersion: 1 },
          { op: 'delete', key: 'b/1' },
        ],
      }),
    });
    expect(response.status).toBe(200);
    const { results } = await json<{
      results: { status: number; value?: string; version?: number; error?: { code: string } }[];
    }>(response);
    expect(results.map((result) => result.status)).toEqual([200, 200, 200, 412, 404, 404, 412, 200]);
    expect(Buffer.from(results[2]!.value!, 'base64').toString()).toBe('one');
    expect(results[3]!.error!.code).toBe('PreconditionFailed');
    expect((await call('GET', keyPath('docs', 'b/1'))).status).toBe(404);
    expect(new Uint8Array(await (await call('GET', keyPath('docs', 'b/2'))).arrayBuffer())).toEqual(
      new Uint8Array([1, 2, 3]),
    );
  });

  it('refuses a malformed or oversized batch as a whole, applying none of it', async () => {
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ op: 'put', key: `many/${i}`, value: 'x' }));
    const cases: [unknown, number][] = [
      [{ operations: tooMany }, 400],
      [{ operations: [] }, 400],
      [
        {
          operations: [
            { op: 'put', key: 'half/1', value: 'ok' },
            { op: 'frobnicate', key: 'x' },
          ],
        },
        400,
      ],
      [
        {
          operations: [
            { op: 'put', key: 'half/2', value: 'ok' },
            { op: 'put', key: 'x', value: '!!', encoding: 'base64' },
          ],
        },
        400,
      ],
      [
        {
          operations: [
            { op: 'put', key: 'half/3', value: 'ok' },
            { op: 'put', key: 'k'.repeat(1025), value: 'x' },
          ],
        },
        400,
      ],
      [
        {
          operations: [
            { op: 'put', key: 'half/4', value: 'ok' },
            { op: 'put', key: 'huge', value: 'x'.repeat(MAX_VALUE + 1) },
          ],
        },
        413,
      ],
    ];
    for (const [body, status] of cases) {
      const response = await call('POST', '/v1/namespaces/docs/batch', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(status);
    }
    for (const key of ['many/0', 'half/1', 'half/2', 'half/3', 'half/4'])
      expect((await call('GET', keyPath('docs', key))).status, key).toBe(404);
  });
});

describe('documentation and observability', () => {
  it('serves OpenAPI describing every KV route, and request metrics', async () => {
    const doc = await json<{ paths: Record<string, Record<string, unknown>> }>(
      await call('GET', '/docs/json'),
    );
    expect(Object.keys(doc.paths['/v1/namespaces/{ns}/keys/{key}'] ?? {}).sort()).toEqual([
      'delete',
      'get',
      'put',
    ]);
    expect(doc.paths['/v1/namespaces/{ns}/keys']).toHaveProperty('get');
    expect(doc.paths['/v1/namespaces/{ns}/batch']).toHaveProperty('post');
    expect((await call('GET', '/docs')).status).toBeLessThan(400);
    const metrics = await (await call('GET', '/metrics')).text();
    expect(metrics).toMatch(
      /star_http_request_duration_seconds_count\{[^}]*method="PUT",route="\/v1\/namespaces\/:ns\/keys\/:key",status_code="200"/,
    );
  });
});

describe('unavailability', () => {
  it('answers 503 with Retry-After when no replica answers within the deadline', async () => {
    const impatient = await cluster.startGateway('g2', { STAR_KV_TIMEOUT_MS: '800' });
    for (const node of cluster.nodes.values()) node.process.pause();
    try {
      const response = await fetch(`${impatient.url}${keyPath('docs', 'blob')}`, {
        headers: cluster.authHeaders,
        signal: AbortSignal.timeout(10_000),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(await json(response)).toMatchObject({ code: 'Unavailable' });
    } finally {
      for (const node of cluster.nodes.values()) node.process.resume();
    }
  });
});
