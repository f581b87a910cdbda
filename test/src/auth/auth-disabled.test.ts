import type { CreatedApiKey } from '@star/protocol';
import { type RunningService, StarCluster, startService, waitFor } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './http-call.js';

let cluster: StarCluster;
let gateway: RunningService;

beforeAll(async () => {
  cluster = await StarCluster.start({ managers: 1, nodes: 1, adminKey: '' });
  await cluster.waitForNodes(1);
  gateway = await cluster.startGateway('g1');
});
afterAll(async () => {
  await cluster?.stop();
});

function warnings(service: RunningService): string[] {
  return service.process
    .logs()
    .split('\n')
    .filter((line) => line.includes('AUTH DISABLED: set STAR_ADMIN_KEY'));
}

describe('without STAR_ADMIN_KEY (a bare dev cluster)', () => {
  it('the manager serves reads and changes without a key, after one loud warning', async () => {
    const { url } = await cluster.leader();
    const created = await call(url, 'POST', '/v1/namespaces', {
      body: { name: 'dev', shards: 1, replicationFactor: 1 },
    });
    expect(created.status, created.text).toBe(201);
    expect((await call(url, 'GET', '/v1/nodes')).status).toBe(200);
    expect((await call(url, 'PUT', '/v1/config', { body: { requestTimeoutMs: 5_000 } })).status).toBe(200);
    const lines = warnings(cluster.managers.get('m1')!);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn' });
  });

  it('the gateway serves data and admin routes without a key, as the anonymous principal', async () => {
    // `dev` was created by the test above; the gateway serves it once its shard map has it.
    await waitFor(
      async () => (await call(gateway.url, 'PUT', '/v1/namespaces/dev/keys/k', { body: 'v' })).status === 200,
      { description: 'the gateway to serve a PUT without a key' },
    );
    expect((await call(gateway.url, 'GET', '/v1/namespaces/dev/keys/k')).text).toBe('"v"');
    const created = await call<CreatedApiKey>(gateway.url, 'POST', '/v1/admin/keys', {
      body: { name: 'dev', scopes: ['read:a'] },
    });
    expect(created.status).toBe(201);
    // Auth is off, so even a read-only or a garbage key is served with every scope.
    const write = await call(gateway.url, 'PUT', '/v1/namespaces/dev/keys/k', {
      key: created.body.key,
      body: 'w',
    });
    expect(write.status).toBe(200);
    expect((await call(gateway.url, 'GET', '/v1/admin/keys', { key: 'garbage' })).status).toBe(200);
    expect(warnings(gateway)).toHaveLength(1);
  });

  it('a service with an admin key that is too short refuses to start, naming the variable', async () => {
    const started = startService(
      'manager',
      { STAR_REDIS_URL: cluster.redis.url, STAR_ADMIN_KEY: 'short' },
      {
        waitHealthy: false,
      },
    );
    const { process } = await started;
    const exit = await process.exited;
    expect(exit.code).toBe(1);
    expect(process.logs()).toMatch(/STAR_ADMIN_KEY/);
  });
});
