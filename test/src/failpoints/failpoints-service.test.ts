import { type RedisServer, type RunningService, startRedis, startService } from '@star/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseLogLines } from '../log-lines.js';

/** Failpoints in a real service process: armed by STAR_FAILPOINTS or the secret-only internal route. */
let redis: RedisServer;
const running: RunningService[] = [];
const secret = 'failpoint-test-cluster-secret';

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());
afterEach(async () => {
  for (const service of running.splice(0)) await service.process.stop(5_000);
});

function call(service: RunningService, method: string, point: string, body?: string, auth = secret) {
  return fetch(`${service.url}/internal/failpoints/${point}`, {
    method,
    headers: {
      authorization: `Bearer ${auth}`,
      ...(body === undefined ? {} : { 'content-type': 'text/plain' }),
    },
    ...(body === undefined ? {} : { body }),
  });
}

describe('failpoints in a service process', () => {
  it('refuses to start with an unknown failpoint, exiting 1 with it named', async () => {
    const service = await startService(
      'node',
      { STAR_REDIS_URL: redis.url, STAR_FAILPOINTS: 'node.before-forward=sleep(5);node.no-such-point=exit' },
      { waitHealthy: false },
    );
    expect((await service.process.exited).code).toBe(1);
    const fatal = parseLogLines(service.process.logs()).find((line) => line.level === 'fatal');
    expect(fatal).toMatchObject({ code: 'InvalidConfig' });
    expect(String(fatal?.msg)).toMatch(/STAR_FAILPOINTS: unknown failpoint "node.no-such-point"/);
  });

  it('arms points from the environment and through the route, which takes only the cluster secret', async () => {
    const service = await startService('manager', {
      STAR_REDIS_URL: redis.url,
      STAR_CLUSTER_SECRET: secret,
      STAR_FAILPOINTS: 'manager.journal-tail=sleep(1)',
    });
    running.push(service);
    const listed = await fetch(`${service.url}/internal/failpoints`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(await listed.json()).toEqual({
      failpoints: { 'manager.journal-tail': { action: { kind: 'sleep', ms: 1 } } },
    });
    expect((await call(service, 'PUT', 'manager.before-configure@n2', 'error', 'wrong-secret')).status).toBe(
      401,
    );
    const armed = await call(service, 'PUT', 'manager.before-configure@n2', '2*error(Timeout)');
    expect(armed.status).toBe(200);
    const armedBody = (await armed.json()) as { failpoints: Record<string, unknown> };
    expect(armedBody.failpoints['manager.before-configure@n2']).toEqual({
      action: { kind: 'error', code: 'Timeout' },
      count: 2,
    });
    const disarmed = await call(service, 'DELETE', 'manager.journal-tail');
    const disarmedBody = (await disarmed.json()) as { failpoints: Record<string, unknown> };
    expect(Object.keys(disarmedBody.failpoints)).toEqual(['manager.before-configure@n2']);
    // The secret never reaches a log line.
    expect(service.process.logs()).not.toContain(secret);
  });

  it('crashes the process at the point with exit (SIGKILL, no shutdown)', async () => {
    const service = await startService('manager', { STAR_REDIS_URL: redis.url, STAR_CLUSTER_SECRET: secret });
    running.push(service);
    // Any journal batch read by the tail now kills the manager: write one by creating nothing but an entry.
    expect((await call(service, 'PUT', 'manager.journal-tail', 'exit')).status).toBe(200);
    const admin = redis.client();
    await admin.xadd('star:manager:journal', '*', 'e', '{"type":"node.removed","data":{"id":"x"}}', 't', '1');
    admin.disconnect();
    const exit = await service.process.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(service.process.logs()).toContain('failpoint manager.journal-tail: exit');
  });
});
