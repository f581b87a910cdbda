import { once } from 'node:events';
import { ApiKeyStore } from '@star/core';
import type { CreatedApiKey } from '@star/protocol';
import { StarCluster, waitFor } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { call } from './http-call.js';

let cluster: StarCluster;
let url: string;
let keys: { readOnly: CreatedApiKey; admin: CreatedApiKey; star: CreatedApiKey; writer: CreatedApiKey };
const BAD_KEY = `star_${'0'.repeat(16)}_${'A'.repeat(43)}`;

beforeAll(async () => {
  cluster = await StarCluster.start({ managers: 1, nodes: 1 });
  await cluster.waitForNodes(1);
  ({ url } = await cluster.leader());
  // Keys made straight in the shared store, as a gateway's admin API would.
  const store = new ApiKeyStore({ redis: cluster.redis.client() });
  keys = {
    readOnly: await store.create({ name: 'reader', scopes: ['read:*'] }),
    writer: await store.create({ name: 'writer', scopes: ['write:*'] }),
    admin: await store.create({ name: 'ops', scopes: ['admin'] }),
    star: await store.create({ name: 'root', scopes: ['*'] }),
  };
});
afterAll(async () => {
  await cluster?.stop();
});

/** Every route that changes the cluster, with a body that passes validation. */
const changes = [
  ['POST', '/v1/namespaces', { name: 'guarded', shards: 1, replicationFactor: 1 }],
  ['DELETE', '/v1/namespaces/nope', undefined],
  ['POST', '/v1/nodes/nope/drain', undefined],
  ['DELETE', '/v1/nodes/nope', undefined],
  ['PUT', '/v1/config', { requestTimeoutMs: 5_000 }],
] as const;

const reads = [
  '/v1/namespaces',
  '/v1/namespaces/guarded',
  '/v1/shards',
  '/v1/nodes',
  '/v1/nodes/n1',
  '/v1/leader',
  '/v1/cluster/status',
  '/v1/cluster/dump',
  '/v1/config',
  '/runtime-config',
];

describe('manager auth (real processes, STAR_ADMIN_KEY set)', () => {
  it('answers every change 401 (+ WWW-Authenticate) without a key or with a bad one', async () => {
    for (const [method, path, body] of changes) {
      for (const key of [undefined, BAD_KEY, 'not-even-a-star-key']) {
        const reply = await call(url, method, path, { body, ...(key === undefined ? {} : { key }) });
        expect(reply.status, `${method} ${path} key=${key}`).toBe(401);
        expect(reply.body.code).toBe('Unauthorized');
        expect(reply.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
  });

  it('answers every change 403 naming admin for keys without admin (read:*, write:*)', async () => {
    for (const key of [keys.readOnly.key, keys.writer.key]) {
      for (const [method, path, body] of changes) {
        const reply = await call(url, method, path, { key, body });
        expect(reply.status, `${method} ${path}`).toBe(403);
        expect(reply.body).toMatchObject({ code: 'Forbidden', details: { scope: 'admin' } });
      }
    }
    const { body } = await call<{ namespaces: { name: string }[] }>(url, 'GET', '/v1/namespaces', {
      key: keys.readOnly.key,
    });
    expect(body.namespaces.map((namespace) => namespace.name)).not.toContain('guarded');
  });

  it('lets admin, * and the bootstrap key change the cluster', async () => {
    const created = await call(url, 'POST', '/v1/namespaces', { key: keys.admin.key, body: changes[0][2] });
    expect(created.status, created.text).toBe(201);
    // Past auth, the routes answer as they always did: 404 for what does not exist, 200 for settings.
    for (const key of [keys.admin.key, keys.star.key, cluster.adminKey]) {
      expect((await call(url, 'DELETE', '/v1/namespaces/nope', { key })).status).toBe(404);
      expect((await call(url, 'POST', '/v1/nodes/nope/drain', { key })).status).toBe(404);
      expect((await call(url, 'DELETE', '/v1/nodes/nope', { key })).status).toBe(404);
      expect((await call(url, 'PUT', '/v1/config', { key, body: { requestTimeoutMs: 5_000 } })).status).toBe(
        200,
      );
    }
    const again = await call(url, 'POST', '/v1/namespaces', { key: keys.star.key, body: changes[0][2] });
    expect(again.status).toBe(409);
  });

  it('serves reads to any valid key and refuses them without one', async () => {
    const { body } = await call<{ shards: { id: number }[] }>(url, 'GET', '/v1/namespaces/guarded', {
      key: keys.readOnly.key,
    });
    for (const path of [...reads, `/v1/shards/${body.shards[0]!.id}`]) {
      expect((await call(url, 'GET', path)).status, path).toBe(401);
      expect((await call(url, 'GET', path, { key: BAD_KEY })).status, path).toBe(401);
      for (const key of [keys.readOnly.key, keys.admin.key, cluster.adminKey]) {
        expect((await call(url, 'GET', path, { key })).status, path).toBe(200);
      }
    }
  });

  it('keeps /health, /metrics and /openapi.json open', async () => {
    for (const path of ['/health', '/metrics', '/openapi.json']) {
      expect((await call(url, 'GET', path)).status, path).toBe(200);
    }
  });

  it('refuses the /v1/assignments stream without a key (401 before the upgrade) and serves it with one', async () => {
    const wsUrl = `${url.replace('http', 'ws')}/v1/assignments`;
    const refused = new WebSocket(wsUrl);
    refused.on('error', () => {});
    const [, response] = (await once(refused, 'unexpected-response')) as [
      unknown,
      { statusCode: number; headers: Record<string, string>; resume(): void },
    ];
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    response.resume();

    const socket = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${keys.readOnly.key}` } });
    const [message] = await once(socket, 'message');
    expect(JSON.parse(String(message))).toMatchObject({ type: 'snapshot' });
    socket.close();
  });

  it('refuses a key revoked elsewhere (through the shared store) within the cache period', async () => {
    const store = new ApiKeyStore({ redis: cluster.redis.client() });
    const doomed = await store.create({ name: 'doomed', scopes: ['admin'] });
    expect((await call(url, 'GET', '/v1/nodes', { key: doomed.key })).status).toBe(200);
    await store.revoke(doomed.id);
    await waitFor(async () => (await call(url, 'GET', '/v1/nodes', { key: doomed.key })).status === 401, {
      description: 'the manager to refuse the revoked key',
      timeoutMs: 5_000,
    });
  });
});
