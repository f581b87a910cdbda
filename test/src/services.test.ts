import type { HealthReport } from '@star/core';
import { ServiceNames } from '@star/protocol';
import { type RedisServer, type RunningService, startRedis, startService, waitFor } from '@star/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseLogLines } from './log-lines.js';

let redis: RedisServer;
const running: RunningService[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  for (const service of running.splice(0)) {
    service.process.resume();
    await service.process.stop(5_000);
  }
});

async function start(name: (typeof ServiceNames)[number], env: Record<string, string> = {}) {
  // A gateway is healthy once it has a shard map, so it gets a manager to follow.
  const managers: Record<string, string> =
    name === 'gateway'
      ? { STAR_MANAGERS: (await start('manager', { STAR_INSTANCE_ID: 'manager-for-gateway' })).url }
      : {};
  const service = await startService(name, { STAR_REDIS_URL: redis.url, ...managers, ...env });
  running.push(service);
  return service;
}

async function health(url: string, timeoutMs = 2_000) {
  const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: (await response.json()) as HealthReport };
}

describe.each(ServiceNames)('%s process', (name) => {
  it('boots against real Redis, serves /health and /metrics, logs JSON with its ids, and exits 0 on SIGTERM', async () => {
    const service = await start(name);
    const { status, body } = await health(service.url);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', service: name, instance: `${name}-e2e` });
    expect(body.checks.redis?.ok).toBe(true);

    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain(`process_resident_memory_bytes{service="${name}",instance="${name}-e2e"}`);

    const exit = await service.process.stop(5_000);
    running.splice(running.indexOf(service), 1);
    expect(exit).toEqual({ code: 0, signal: null });
    const lines = parseLogLines(service.process.logs());
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatchObject({ service: name, instance: `${name}-e2e` });
    expect(lines.map((line) => line.msg)).toEqual(
      expect.arrayContaining([`${name} listening`, 'shutdown complete']),
    );
  });
});

describe('service lifecycle against a real control plane', () => {
  it('refuses to start with bad config, exiting 1 with the variable named', async () => {
    const service = await startService(
      'manager',
      { STAR_REDIS_URL: 'http://nope', STAR_PORT: '99999' },
      { waitHealthy: false },
    );
    const exit = await service.process.exited;
    expect(exit.code).toBe(1);
    const [line] = parseLogLines(service.process.logs());
    expect(line).toMatchObject({ level: 'fatal', code: 'InvalidConfig' });
    expect(String(line?.msg)).toMatch(/STAR_REDIS_URL/);
  });

  it('reports Redis loss on /health (503) and recovers when Redis comes back', async () => {
    const own = await startRedis({ appendOnly: true });
    try {
      const service = await startService('node', { STAR_REDIS_URL: own.url });
      running.push(service);
      await own.kill();
      const down = await waitFor(
        async () => {
          const h = await health(service.url, 5_000);
          return h.status === 503 ? h : undefined;
        },
        { description: '/health to report Redis down', timeoutMs: 10_000 },
      );
      expect(down.body.checks.redis).toMatchObject({ ok: false });
      await own.restart();
      await waitFor(async () => (await health(service.url)).status === 200, {
        description: '/health to recover after Redis restarts',
        timeoutMs: 15_000,
      });
      expect(service.process.isRunning()).toBe(true);
    } finally {
      await own.stop();
    }
  });

  it('stops answering while SIGSTOPped and answers again after SIGCONT', async () => {
    const service = await start('gateway');
    service.process.pause();
    await expect(health(service.url, 500)).rejects.toThrow();
    service.process.resume();
    expect((await health(service.url)).status).toBe(200);
  });
});
