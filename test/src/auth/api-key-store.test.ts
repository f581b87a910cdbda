import { createHash } from 'node:crypto';
import { ApiKeyStore } from '@star/core';
import { ApiKeyKeys, StarError } from '@star/protocol';
import { type RedisServer, startRedis, waitFor } from '@star/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});
beforeEach(async () => {
  await redis.client().del(ApiKeyKeys.hash);
});

describe('ApiKeyStore (real Redis)', () => {
  it('creates star_<id>_<secret> keys and stores only the SHA-256 of the secret', async () => {
    const store = new ApiKeyStore({ redis: redis.client() });
    const created = await store.create({ name: 'app', scopes: ['read:a', 'write:b'] });
    expect(created.key).toMatch(/^star_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const [, id, secret] = /^star_([0-9a-f]{16})_(.+)$/.exec(created.key)!;
    expect(id).toBe(created.id);
    expect(Buffer.from(secret!, 'base64url')).toHaveLength(32);

    const raw = await redis.client().hget(ApiKeyKeys.hash, created.id);
    expect(raw).not.toBeNull();
    expect(raw).not.toContain(secret!);
    expect(JSON.parse(raw!)).toEqual({
      id: created.id,
      name: 'app',
      scopes: ['read:a', 'write:b'],
      createdAt: created.createdAt,
      secretSha256: createHash('sha256').update(secret!).digest('hex'),
    });
  });

  it('gives each key its own id and secret', async () => {
    const store = new ApiKeyStore({ redis: redis.client() });
    const keys = await Promise.all(
      Array.from({ length: 20 }, () => store.create({ name: 'x', scopes: ['*'] })),
    );
    expect(new Set(keys.map((key) => key.id)).size).toBe(20);
    expect(new Set(keys.map((key) => key.key.slice(-43))).size).toBe(20);
    expect(await store.list()).toHaveLength(20);
  });

  it('verifies a key to its principal, and nothing else', async () => {
    const store = new ApiKeyStore({ redis: redis.client() });
    const created = await store.create({ name: 'app', scopes: ['read:a'] });
    expect(await store.verify(created.key)).toEqual({ keyId: created.id, name: 'app', scopes: ['read:a'] });

    const last = created.key.at(-1) === 'A' ? 'B' : 'A';
    const otherId = created.id === '0'.repeat(16) ? '1'.repeat(16) : '0'.repeat(16);
    for (const wrong of [
      `${created.key.slice(0, -1)}${last}`, // one character of the secret changed
      created.key.replace(created.id, otherId), // the secret under another id
      created.key.slice(0, -1), // truncated
      `${created.key}A`, // extended
      created.key.slice(`star_${created.id}_`.length), // the secret alone
      '',
      'star__',
    ]) {
      expect(await store.verify(wrong), wrong).toBeUndefined();
    }
  });

  it('lists keys oldest first without secrets or hashes', async () => {
    const store = new ApiKeyStore({ redis: redis.client() });
    const first = await store.create({ name: 'first', scopes: ['admin'] });
    const second = await store.create({ name: 'second', scopes: ['read:*'] });
    const listed = await store.list();
    expect(listed.map((key) => key.id)).toEqual(
      [first, second]
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
        .map((k) => k.id),
    );
    for (const key of listed) expect(Object.keys(key).sort()).toEqual(['createdAt', 'id', 'name', 'scopes']);
    expect(JSON.stringify(listed)).not.toContain(first.key.slice(-43));
  });

  it('revokes: the key stops verifying at once here; an unknown id is NotFound', async () => {
    const store = new ApiKeyStore({ redis: redis.client() });
    const created = await store.create({ name: 'doomed', scopes: ['*'] });
    expect(await store.verify(created.key)).toBeDefined();
    await store.revoke(created.id);
    expect(await store.verify(created.key)).toBeUndefined();
    expect(await store.list()).toEqual([]);
    const again = await store.revoke(created.id).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(StarError);
    expect(again).toMatchObject({ code: 'NotFound' });
    expect((again as Error).message).toContain(created.id);
  });

  it("honours another process's revoke once its cache period ends", async () => {
    const here = new ApiKeyStore({ redis: redis.client(), cacheMs: 200 });
    const elsewhere = new ApiKeyStore({ redis: redis.client(), cacheMs: 0 });
    const created = await here.create({ name: 'shared', scopes: ['read:a'] });
    expect(await here.verify(created.key)).toBeDefined();
    await elsewhere.revoke(created.id);
    expect(await elsewhere.verify(created.key)).toBeUndefined();
    await waitFor(async () => (await here.verify(created.key)) === undefined, {
      description: 'the revoke to reach the other store',
      timeoutMs: 2_000,
    });
  });

  it('refuses bad names and scopes with BadRequest, storing nothing', async () => {
    const store = new ApiKeyStore({ redis: redis.client() });
    for (const request of [
      { name: '', scopes: ['*'] },
      { name: '   ', scopes: ['*'] },
      { name: 'x'.repeat(129), scopes: ['*'] },
      { name: 'x', scopes: [] },
      { name: 'x', scopes: ['read:'] },
      { name: 'x', scopes: ['superuser'] },
    ]) {
      const error = await store.create(request as never).catch((e: unknown) => e);
      expect(error, JSON.stringify(request)).toMatchObject({ code: 'BadRequest' });
    }
    expect(await redis.client().hlen(ApiKeyKeys.hash)).toBe(0);
  });
});
