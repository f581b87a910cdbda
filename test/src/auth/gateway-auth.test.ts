import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ApiKeyInfo, CreatedApiKey, Scope } from '@star/protocol';
import { type RunningService, StarCluster } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './http-call.js';

const ADMIN_KEY = `test-admin-${randomBytes(24).toString('base64url')}`;
let cluster: StarCluster;
let gateway: RunningService;
/** Every plaintext key this file has seen: none may ever show up in a listing or a log line. */
const secrets: string[] = [ADMIN_KEY];

// The real gateway over a one-node cluster; KV scopes per route are in gateway-kv-scopes.test.ts.
beforeAll(async () => {
  cluster = await StarCluster.start({ managers: 1, nodes: 1, adminKey: ADMIN_KEY });
  await cluster.waitForNodes(1);
  const { url } = await cluster.leader();
  await cluster.api(url, 'POST', '/v1/namespaces', { name: 'a', shards: 1, replicationFactor: 1 });
  gateway = await cluster.startGateway('g1');
});
afterAll(async () => {
  await cluster?.stop();
});

async function createKey(name: string, scopes: Scope[], key = ADMIN_KEY): Promise<CreatedApiKey> {
  const created = await call<CreatedApiKey>(gateway.url, 'POST', '/v1/admin/keys', {
    key,
    body: { name, scopes },
  });
  expect(created.status, created.text).toBe(201);
  secrets.push(created.body.key);
  return created.body;
}

describe('gateway admin API for keys', () => {
  it('refuses every admin route without a key, with a malformed header and with an unknown key: 401 + WWW-Authenticate', async () => {
    const unknown = `star_${'0'.repeat(16)}_${randomBytes(32).toString('base64url')}`;
    for (const [method, path, body] of [
      ['POST', '/v1/admin/keys', { name: 'x', scopes: ['*'] }],
      ['GET', '/v1/admin/keys', undefined],
      ['DELETE', `/v1/admin/keys/${'0'.repeat(16)}`, undefined],
    ] as const) {
      for (const authorization of [
        undefined,
        `Basic ${ADMIN_KEY}`,
        'Bearer',
        `Bearer ${unknown}`,
        'Bearer x',
      ]) {
        const reply = await call(gateway.url, method, path, {
          body,
          ...(authorization === undefined ? {} : { authorization }),
        });
        expect(reply.status, `${method} ${path} with ${authorization}`).toBe(401);
        expect(reply.body.code).toBe('Unauthorized');
        expect(reply.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
  });

  it('creates a key with the bootstrap key: 201 with id, plaintext key, name, scopes, createdAt', async () => {
    const before = Date.now();
    const created = await createKey('ingest', ['write:orders', 'read:*']);
    expect(created.key).toMatch(/^star_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(`star_${created.id}_`)).toBe(true);
    expect(created).toMatchObject({ name: 'ingest', scopes: ['write:orders', 'read:*'] });
    expect(Date.parse(created.createdAt)).toBeGreaterThanOrEqual(before - 1_000);
    // The scheme is case-insensitive (RFC 7235).
    const lower = await call(gateway.url, 'GET', '/v1/admin/keys', { authorization: `bearer ${ADMIN_KEY}` });
    expect(lower.status).toBe(200);
  });

  it('rejects bad create bodies with 400 naming the problem, creating nothing', async () => {
    const { body: before } = await call<{ keys: ApiKeyInfo[] }>(gateway.url, 'GET', '/v1/admin/keys', {
      key: ADMIN_KEY,
    });
    for (const [body, named] of [
      [{ name: 'x', scopes: ['delete:orders'] }, /scopes/],
      [{ name: 'x', scopes: [] }, /scopes/],
      [{ name: 'x', scopes: ['read:a', 'read:a'] }, /scopes|duplicate/],
      [{ scopes: ['*'] }, /name/],
      [{ name: '', scopes: ['*'] }, /name/],
      [{ name: 'x' }, /scopes/],
    ] as const) {
      const reply = await call(gateway.url, 'POST', '/v1/admin/keys', { key: ADMIN_KEY, body });
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.code).toBe('BadRequest');
      expect(reply.body.message).toMatch(named);
    }
    const malformed = await fetch(`${gateway.url}/v1/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(malformed.status).toBe(400);
    const { body: after } = await call<{ keys: ApiKeyInfo[] }>(gateway.url, 'GET', '/v1/admin/keys', {
      key: ADMIN_KEY,
    });
    expect(after.keys).toEqual(before.keys);
  });

  it('lists keys without their secrets or hashes', async () => {
    const created = await createKey('listed', ['read:a']);
    const listed = await call<{ keys: ApiKeyInfo[] }>(gateway.url, 'GET', '/v1/admin/keys', {
      key: ADMIN_KEY,
    });
    expect(listed.status).toBe(200);
    const entry = listed.body.keys.find((key) => key.id === created.id);
    expect(entry).toEqual({
      id: created.id,
      name: 'listed',
      scopes: ['read:a'],
      createdAt: created.createdAt,
    });
    for (const key of listed.body.keys)
      expect(Object.keys(key).sort()).toEqual(['createdAt', 'id', 'name', 'scopes']);
    for (const secret of secrets) {
      expect(listed.text).not.toContain(secret);
      expect(listed.text).not.toContain(secret.slice(-43));
    }
  });

  it('lets a key with `admin` (or `*`) administer, and refuses any other scope with 403 naming admin', async () => {
    const admin = await createKey('ops', ['admin']);
    const star = await createKey('root', ['*']);
    for (const key of [admin.key, star.key]) {
      expect((await call(gateway.url, 'GET', '/v1/admin/keys', { key })).status).toBe(200);
      const made = await call<CreatedApiKey>(gateway.url, 'POST', '/v1/admin/keys', {
        key,
        body: { name: 'made-by-admin', scopes: ['read:a'] },
      });
      expect(made.status).toBe(201);
      secrets.push(made.body.key);
    }
    for (const scopes of [
      ['read:a'],
      ['write:a'],
      ['read:*'],
      ['write:*'],
      ['read:a', 'write:*'],
    ] as Scope[][]) {
      const { key } = await createKey(`not-admin-${scopes.join('+')}`, scopes);
      for (const [method, path] of [
        ['GET', '/v1/admin/keys'],
        ['POST', '/v1/admin/keys'],
        ['DELETE', `/v1/admin/keys/${admin.id}`],
      ] as const) {
        const reply = await call(gateway.url, method, path, {
          key,
          ...(method === 'POST' ? { body: { name: 'escalate', scopes: ['*'] } } : {}),
        });
        expect(reply.status, `${scopes} ${method} ${path}`).toBe(403);
        expect(reply.body).toMatchObject({ code: 'Forbidden', details: { scope: 'admin' } });
        expect(reply.body.message).toMatch(/admin/);
      }
    }
    // The refused DELETE did not revoke: the admin key still works.
    expect((await call(gateway.url, 'GET', '/v1/admin/keys', { key: admin.key })).status).toBe(200);
  });

  it('revokes a key: 204, then the key gets 401, a second revoke 404, a malformed id 400', async () => {
    const doomed = await createKey('doomed', ['read:a']);
    expect((await call(gateway.url, 'GET', '/v1/namespaces/a/keys', { key: doomed.key })).status).toBe(200);
    const revoked = await call(gateway.url, 'DELETE', `/v1/admin/keys/${doomed.id}`, { key: ADMIN_KEY });
    expect(revoked.status).toBe(204);
    const refused = await call(gateway.url, 'GET', '/v1/namespaces/a/keys', { key: doomed.key });
    expect(refused.status).toBe(401);
    expect(refused.body.message).toMatch(/invalid or revoked/);
    const again = await call(gateway.url, 'DELETE', `/v1/admin/keys/${doomed.id}`, { key: ADMIN_KEY });
    expect(again.status).toBe(404);
    expect(again.body.message).toContain(doomed.id);
    const malformed = await call(gateway.url, 'DELETE', '/v1/admin/keys/not-an-id', { key: ADMIN_KEY });
    expect(malformed.status).toBe(400);
    const listed = await call<{ keys: ApiKeyInfo[] }>(gateway.url, 'GET', '/v1/admin/keys', {
      key: ADMIN_KEY,
    });
    expect(listed.body.keys.map((key) => key.id)).not.toContain(doomed.id);
  });

  it('keeps /health and /metrics open', async () => {
    expect((await call(gateway.url, 'GET', '/health')).status).toBe(200);
    expect((await call(gateway.url, 'GET', '/metrics')).status).toBe(200);
  });
});

describe('logs', () => {
  it('never carry a key: not the bootstrap key, not a created key, not in the create audit line', async () => {
    // Requests that put keys in headers and bodies, including refused and failing ones.
    await call(gateway.url, 'GET', '/v1/namespaces/a/keys', { authorization: `Bearer ${ADMIN_KEY}x` });
    await call(gateway.url, 'POST', '/v1/admin/keys', {
      key: ADMIN_KEY,
      body: { name: ADMIN_KEY, scopes: 'x' },
    });
    // KV calls with created keys: served, refused (403) and failing (404) ones.
    for (const scopes of [['read:a'], ['write:a'], ['read:*'], ['admin']] as Scope[][]) {
      const { key } = await createKey(`kv-${scopes.join('+')}`, scopes);
      await call(gateway.url, 'PUT', `/v1/namespaces/a/keys/${scopes[0]}`, { key, body: 'x' });
      await call(gateway.url, 'GET', `/v1/namespaces/a/keys/${scopes[0]}`, { key });
      await call(gateway.url, 'GET', '/v1/namespaces/nope/keys', { key });
    }
    await createKey('last', ['read:z']);
    const log = await gateway.process.waitForLog(
      /API key created.*"name":"last"|"name":"last".*API key created/,
    );
    expect(log[0]).not.toContain('star_');
    await gateway.process.stop();
    const text = readFileSync(gateway.process.logFile, 'utf8');
    expect(text).toMatch(/API key created/);
    expect(text).toMatch(/API key revoked/);
    expect(secrets.length).toBeGreaterThan(15);
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      // The secret part alone (the id is not secret).
      if (secret.startsWith('star_')) expect(text).not.toContain(secret.slice(-43));
    }
  });
});
