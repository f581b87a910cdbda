import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ApiKeyInfo, CreatedApiKey } from '@star/protocol';
import { findRepoRoot, freePort, type RunningService, StarCluster } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './http-call.js';

const ADMIN_KEY = `test-admin-${randomBytes(24).toString('base64url')}`;
const CLI = join(findRepoRoot(), 'packages', 'cli', 'dist', 'main.js');
let cluster: StarCluster;
let gateway: RunningService;

beforeAll(async () => {
  cluster = await StarCluster.start({ managers: 1, nodes: 1, adminKey: ADMIN_KEY });
  await cluster.waitForNodes(1);
  const { url } = await cluster.leader();
  for (const name of ['a', 'b'])
    await cluster.api(url, 'POST', '/v1/namespaces', { name, shards: 1, replicationFactor: 1 });
  gateway = await cluster.startGateway('g1');
});
afterAll(async () => {
  await cluster?.stop();
});

/** Runs the built `star` CLI; its exit code, stdout and stderr. */
function star(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const clean = { ...process.env };
    delete clean.STAR_GATEWAY_URL;
    delete clean.STAR_API_KEY;
    execFile(
      'node',
      [CLI, ...args],
      { env: { ...clean, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('star keys (the CLI against a real gateway)', () => {
  it('creates a key (--json), which then works with exactly its scopes', async () => {
    const result = await star([
      'keys',
      'create',
      '--name',
      'cli',
      '--scope',
      'read:a',
      '--scope',
      'write:b',
      '--gateway',
      gateway.url,
      '--key',
      ADMIN_KEY,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const created = JSON.parse(result.stdout) as CreatedApiKey;
    expect(created).toMatchObject({ name: 'cli', scopes: ['read:a', 'write:b'] });
    expect((await call(gateway.url, 'GET', '/v1/namespaces/a/keys', { key: created.key })).status).toBe(200);
    const writeA = await call(gateway.url, 'PUT', '/v1/namespaces/a/keys/k', { key: created.key, body: 'x' });
    expect(writeA.status).toBe(403);
    const writeB = await call(gateway.url, 'PUT', '/v1/namespaces/b/keys/k', { key: created.key, body: 'x' });
    expect(writeB.status).toBe(200);
  });

  it('prints a table and the key once when creating, and lists without secrets (env for gateway and key)', async () => {
    const env = { STAR_GATEWAY_URL: gateway.url, STAR_API_KEY: ADMIN_KEY };
    const created = await star(['keys', 'create', '--name', 'table', '--scope', 'admin'], env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^ID\s+NAME\s+SCOPES\s+CREATED$/m);
    const key = /^key: (star_([0-9a-f]{16})_\S{43})$/m.exec(created.stdout);
    expect(key).not.toBeNull();

    const listed = await star(['keys', 'list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${key![2]}\\s+table\\s+admin\\s+\\S+$`, 'm'));
    expect(listed.stdout).not.toContain(key![1]!.slice(-43));
    const json = await star(['keys', 'list', '--json'], env);
    const keys = JSON.parse(json.stdout) as ApiKeyInfo[];
    expect(keys.map((k) => k.name)).toEqual(expect.arrayContaining(['cli', 'table']));
    expect(json.stdout).not.toContain(key![1]!.slice(-43));
  });

  it('revokes: exit 0, the key is refused, a second revoke exits 1 naming 404', async () => {
    const env = { STAR_GATEWAY_URL: gateway.url, STAR_API_KEY: ADMIN_KEY };
    const created = JSON.parse(
      (await star(['keys', 'create', '--name', 'doomed', '--scope', '*', '--json'], env)).stdout,
    ) as CreatedApiKey;
    const revoked = await star(['keys', 'revoke', created.id], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`revoked ${created.id}`);
    expect((await call(gateway.url, 'GET', '/v1/namespaces/a/keys', { key: created.key })).status).toBe(401);
    const again = await star(['keys', 'revoke', created.id], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/404 NotFound/);
  });

  it('exits 1 naming the refusal without a key or with a key lacking admin', async () => {
    const withoutKey = await star(['keys', 'list', '--gateway', gateway.url]);
    expect(withoutKey.code).toBe(1);
    expect(withoutKey.stderr).toMatch(/401 Unauthorized/);
    const reader = JSON.parse(
      (
        await star([
          'keys',
          'create',
          '--name',
          'r',
          '--scope',
          'read:*',
          '--json',
          '--gateway',
          gateway.url,
          '--key',
          ADMIN_KEY,
        ])
      ).stdout,
    ) as CreatedApiKey;
    const forbidden = await star(['keys', 'list', '--gateway', gateway.url, '--key', reader.key]);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(/403 Forbidden.*admin/);
  });

  it('rejects a bad scope before calling anything, and exits 2 when the gateway is unreachable', async () => {
    const bad = await star([
      'keys',
      'create',
      '--name',
      'x',
      '--scope',
      'delete:a',
      '--gateway',
      gateway.url,
      '--key',
      ADMIN_KEY,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/a scope is/);
    const unreachable = await star([
      'keys',
      'list',
      '--gateway',
      `http://127.0.0.1:${await freePort()}`,
      '--key',
      ADMIN_KEY,
    ]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/cannot reach the gateway/);
  });
});
