import { randomBytes } from 'node:crypto';
import type { CreatedApiKey, Scope } from '@star/protocol';
import { type RunningService, StarCluster } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { call, type ErrorReply } from './http-call.js';

// Every KV route of the real gateway, against every kind of scope: 401 without a valid key, 403
// outside the key's scope (writing nothing), 2xx inside. Namespaces `a` (the one the routes touch)
// and `b` (the unrelated one some keys are scoped to).
let cluster: StarCluster;
let gateway: RunningService;
let admin: string;

beforeAll(async () => {
  cluster = await StarCluster.start({ managers: 1, nodes: 1 });
  await cluster.waitForNodes(1);
  const { url } = await cluster.leader();
  for (const name of ['a', 'b'])
    await cluster.api(url, 'POST', '/v1/namespaces', { name, shards: 2, replicationFactor: 1 });
  gateway = await cluster.startGateway('g1');
  admin = cluster.adminKey;
});
afterAll(async () => {
  await cluster?.stop();
});

async function createKey(scopes: Scope[]): Promise<string> {
  const created = await call<CreatedApiKey>(gateway.url, 'POST', '/v1/admin/keys', {
    key: admin,
    body: { name: `scopes-${scopes.join('+')}`, scopes },
  });
  expect(created.status, created.text).toBe(201);
  return created.body.key;
}

type Access = 'read' | 'write';

interface Reply {
  status: number;
  body?: ErrorReply;
  headers?: Headers;
}

/** Who calls: a key (or none, or a forged header); `undefined` key means no Authorization at all. */
interface Caller {
  key?: string;
  authorization?: string;
}

/**
 * One KV route, with what it needs. `attempt` sends it as `caller` on a fresh key (unique per attempt,
 * seeded with the admin key when the route needs one) and answers the status; `wrote` then tells,
 * with the admin key, whether the attempt changed anything.
 */
interface Route {
  name: string;
  access: Access;
  okStatus: number;
  attempt(caller: Caller, key: string): Promise<Reply>;
  wrote?(key: string): Promise<boolean>;
}

const keyPath = (ns: string, key: string) => `/v1/namespaces/${ns}/keys/${encodeURIComponent(key)}`;

async function seed(key: string, value: string): Promise<void> {
  const put = await call(gateway.url, 'PUT', keyPath('a', key), { key: admin, body: value });
  expect(put.status, put.text).toBe(200);
}

async function storedValue(key: string): Promise<string | undefined> {
  const got = await call<string>(gateway.url, 'GET', keyPath('a', key), { key: admin });
  if (got.status === 404) return undefined;
  expect(got.status, got.text).toBe(200);
  return got.text;
}

/**
 * Opens the watch WebSocket as `caller`: 101 once the gateway sent its `ready` message, or the
 * HTTP status the upgrade was refused with (and its error body).
 */
function watchStatus(caller: Caller): Promise<Reply> {
  const authorization =
    caller.authorization ?? (caller.key === undefined ? undefined : `Bearer ${caller.key}`);
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${gateway.url.replace(/^http/, 'ws')}/v1/namespaces/a/watch`, {
      headers: authorization === undefined ? {} : { authorization },
      handshakeTimeout: 10_000,
    });
    socket.on('unexpected-response', (_request, response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      response.on('end', () => {
        socket.terminate();
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers))
          if (typeof value === 'string') headers.set(name, value);
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as ErrorReply, headers });
      });
    });
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { type: string };
      socket.close();
      if (message.type === 'ready') resolve({ status: 101 });
      else reject(new Error(`watch sent ${data.toString()} before ready`));
    });
    socket.on('error', (error) => reject(error));
  });
}

const routes: Route[] = [
  {
    name: 'GET key',
    access: 'read',
    okStatus: 200,
    async attempt(caller, key) {
      await seed(key, 'v');
      return call(gateway.url, 'GET', keyPath('a', key), caller);
    },
  },
  {
    name: 'PUT key',
    access: 'write',
    okStatus: 200,
    attempt: (caller, key) => call(gateway.url, 'PUT', keyPath('a', key), { ...caller, body: 'written' }),
    wrote: async (key) => (await storedValue(key)) !== undefined,
  },
  {
    name: 'DELETE key',
    access: 'write',
    okStatus: 204,
    async attempt(caller, key) {
      await seed(key, 'v');
      return call(gateway.url, 'DELETE', keyPath('a', key), caller);
    },
    wrote: async (key) => (await storedValue(key)) === undefined,
  },
  {
    name: 'list keys',
    access: 'read',
    okStatus: 200,
    attempt: (caller) => call(gateway.url, 'GET', '/v1/namespaces/a/keys?limit=5', caller),
  },
  {
    name: 'batch of reads',
    access: 'read',
    okStatus: 200,
    attempt: (caller, key) =>
      call(gateway.url, 'POST', '/v1/namespaces/a/batch', {
        ...caller,
        body: { operations: [{ op: 'get', key }] },
      }),
  },
  {
    name: 'batch with a write',
    access: 'write',
    okStatus: 200,
    attempt: (caller, key) =>
      call(gateway.url, 'POST', '/v1/namespaces/a/batch', {
        ...caller,
        body: {
          operations: [
            { op: 'get', key },
            { op: 'put', key, value: 'batched' },
          ],
        },
      }),
    wrote: async (key) => (await storedValue(key)) !== undefined,
  },
  {
    name: 'watch upgrade',
    access: 'read',
    okStatus: 101,
    attempt: (caller) => watchStatus(caller),
  },
];

let attempts = 0;
const freshKey = (route: Route) => `scoped/${route.name.replace(/\W+/g, '-')}/${attempts++}`;

describe('without a valid key: 401 on every KV route, nothing written', () => {
  const forged = `star_${'0'.repeat(16)}_${randomBytes(32).toString('base64url')}`;
  const callers: [string, Caller][] = [
    ['no Authorization', {}],
    ['an unknown key', { key: forged }],
    ['a garbage key', { key: 'x' }],
    ['a Basic header', { authorization: 'Basic dXNlcjpwYXNz' }],
  ];
  for (const route of routes) {
    it(route.name, async () => {
      for (const [what, caller] of callers) {
        const key = freshKey(route);
        const reply = await route.attempt(caller, key);
        expect(reply.status, `${route.name} with ${what}`).toBe(401);
        expect(reply.body?.code).toBe('Unauthorized');
        expect(reply.headers?.get('www-authenticate')).toBe('Bearer');
        if (route.wrote) expect(await route.wrote(key), `${route.name} with ${what} wrote`).toBe(false);
      }
    });
  }
});

describe('scopes on every KV route of namespace a', () => {
  /** Whether a key with these scopes may read / write namespace `a`. */
  const grants: [Scope[], { read: boolean; write: boolean }][] = [
    [['read:a'], { read: true, write: false }],
    [['write:a'], { read: true, write: true }],
    [['read:*'], { read: true, write: false }],
    [['write:*'], { read: true, write: true }],
    [['*'], { read: true, write: true }],
    [['admin'], { read: false, write: false }],
    [['read:b', 'write:b'], { read: false, write: false }],
    [['read:ab'], { read: false, write: false }],
  ];

  for (const [scopes, may] of grants) {
    it(`${scopes.join(' + ')}: read ${may.read ? 'allowed' : '403'}, write ${may.write ? 'allowed' : '403'}`, async () => {
      const apiKey = await createKey(scopes);
      for (const route of routes) {
        const key = freshKey(route);
        const reply = await route.attempt({ key: apiKey }, key);
        const label = `${scopes.join('+')} ${route.name}`;
        if (may[route.access]) {
          expect(reply.status, label).toBe(route.okStatus);
          if (route.wrote) expect(await route.wrote(key), `${label} wrote`).toBe(true);
        } else {
          expect(reply.status, label).toBe(403);
          expect(reply.body, label).toMatchObject({
            code: 'Forbidden',
            details: { scope: `${route.access}:a` },
          });
          expect(reply.headers?.get('www-authenticate'), label).toBe(
            `Bearer error="insufficient_scope", scope="${route.access}:a"`,
          );
          if (route.wrote) expect(await route.wrote(key), `${label} wrote`).toBe(false);
        }
      }
    });
  }

  it('the bootstrap admin key may do everything', async () => {
    for (const route of routes) {
      const key = freshKey(route);
      expect((await route.attempt({ key: admin }, key)).status, route.name).toBe(route.okStatus);
    }
  });

  it('a key scoped to b reaches b but not a, on the same route', async () => {
    const apiKey = await createKey(['write:b']);
    expect((await call(gateway.url, 'PUT', keyPath('b', 'mine'), { key: apiKey, body: 'b' })).status).toBe(
      200,
    );
    expect((await call(gateway.url, 'GET', keyPath('b', 'mine'), { key: apiKey })).status).toBe(200);
    expect((await call(gateway.url, 'PUT', keyPath('a', 'mine'), { key: apiKey, body: 'a' })).status).toBe(
      403,
    );
    expect(await storedValue('mine')).toBeUndefined();
  });

  it('a revoked key is refused with 401 from then on', async () => {
    const created = await call<CreatedApiKey>(gateway.url, 'POST', '/v1/admin/keys', {
      key: admin,
      body: { name: 'doomed', scopes: ['*'] },
    });
    const apiKey = created.body.key;
    expect((await call(gateway.url, 'GET', '/v1/namespaces/a/keys', { key: apiKey })).status).toBe(200);
    expect(
      (await call(gateway.url, 'DELETE', `/v1/admin/keys/${created.body.id}`, { key: admin })).status,
    ).toBe(204);
    // Revoked through this gateway, whose key cache drops it at once.
    const refused = await call(gateway.url, 'GET', '/v1/namespaces/a/keys', { key: apiKey });
    expect(refused.status).toBe(401);
    expect(refused.body.message).toMatch(/invalid or revoked/);
    expect((await watchStatus({ key: apiKey })).status).toBe(401);
  });
});
