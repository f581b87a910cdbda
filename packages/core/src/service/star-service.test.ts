import { Writable } from 'node:stream';
import { ServiceConfig } from '@star/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import { StarService } from './star-service.js';

const services: StarService[] = [];
afterEach(async () => {
  for (const service of services.splice(0)) await service.stop('test over');
});

function captureLines(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
  };
}

function newService(env: Record<string, string> = {}, logs = captureLines()) {
  const config = loadConfig(ServiceConfig, {
    STAR_INSTANCE_ID: 'node-7',
    STAR_SHUTDOWN_TIMEOUT_MS: '3000',
    ...env,
  });
  const service = new StarService({ service: 'node', config, logDestination: logs.stream });
  services.push(service);
  return { service, logs };
}

describe('StarService', () => {
  it('reports health per check: 200 when all pass, 503 naming the failing or hanging one', async () => {
    const { service } = newService();
    let failing = false;
    service.addHealthCheck('storage', () => {
      if (failing) throw new Error('disk gone');
      return { shards: 3 };
    });
    const { url } = await service.start();

    const ok = await fetch(`${url}/health`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      status: 'ok',
      service: 'node',
      instance: 'node-7',
      checks: { storage: { ok: true, shards: 3 } },
    });

    failing = true;
    const bad = await fetch(`${url}/health`);
    expect(bad.status).toBe(503);
    expect(await bad.json()).toMatchObject({
      status: 'unhealthy',
      checks: { storage: { ok: false, error: 'disk gone' } },
    });
  });

  it('fails a health check that does not answer in time instead of hanging /health', async () => {
    const { service } = newService();
    service.addHealthCheck('stuck', () => new Promise(() => {}));
    const { url } = await service.start();
    const started = Date.now();
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(503);
    expect(((await response.json()) as { checks: { stuck: { error: string } } }).checks.stuck.error).toMatch(
      /longer than/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('serves Prometheus metrics labelled with service and instance, including request latency', async () => {
    const { service } = newService();
    const { url } = await service.start();
    await fetch(`${url}/health`);
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/star_http_request_duration_seconds_count\{[^}]*route="\/health"[^}]*\} 1/);
    expect(text).toMatch(/process_cpu_user_seconds_total\{service="node",instance="node-7"\}/);
  });

  it('answers unknown routes and schema violations with typed 4xx bodies', async () => {
    const { service } = newService();
    service.app.post(
      '/things',
      { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } },
      async () => ({ created: true }),
    );
    const { url } = await service.start();
    const missing = await fetch(`${url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ code: 'NotFound', message: 'no route for GET /nowhere' });

    const invalid = await fetch(`${url}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nom: 'x' }),
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({
      code: 'BadRequest',
      message: expect.stringMatching(/name/),
    });

    const broken = await fetch(`${url}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { code: string }).code).toBe('BadRequest');
  });

  it('drains in-flight requests on stop, refuses new ones, then runs shutdown steps in reverse', async () => {
    const { service, logs } = newService();
    const order: string[] = [];
    service.onShutdown('first', () => order.push('first'));
    service.onShutdown('second', () => order.push('second'));
    service.app.get('/slow', async () => {
      await new Promise((r) => setTimeout(r, 400));
      order.push('slow answered');
      return { done: true };
    });
    const { url } = await service.start();
    const inFlight = fetch(`${url}/slow`);
    await new Promise((r) => setTimeout(r, 50));
    const stopping = service.stop('test');
    await new Promise((r) => setTimeout(r, 50));
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    const drainStarted = Date.now();
    await stopping;
    // Drained as soon as the last response left, not at the 3 s shutdown timeout.
    expect(Date.now() - drainStarted).toBeLessThan(1_500);
    expect(order).toEqual(['slow answered', 'second', 'first']);
    expect(logs.lines().map((l) => l.msg)).toContain('shutdown complete');
  });

  it('logs JSON with service and instance ids and never logs the cluster secret', async () => {
    const { service, logs } = newService({ STAR_CLUSTER_SECRET: 'hunter2' });
    service.logger.info({ config: service.config }, 'config loaded');
    service.logger.info({ clusterSecret: 'hunter2' }, 'direct');
    const lines = logs.lines();
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'node',
      instance: 'node-7',
      msg: 'config loaded',
    });
    expect(JSON.stringify(lines)).not.toContain('hunter2');
    expect(lines[1]).toMatchObject({ clusterSecret: '[redacted]' });
  });

  it('never logs the admin key nor an authorization header, wherever it sits', async () => {
    const adminKey = 'admin-key-0123456789abcdef';
    const { service, logs } = newService({ STAR_ADMIN_KEY: adminKey });
    service.logger.info({ config: service.config }, 'config loaded');
    service.logger.info({ adminKey }, 'direct');
    service.logger.info({ headers: { authorization: `Bearer ${adminKey}` } }, 'headers');
    service.logger.info({ req: { headers: { authorization: `Bearer ${adminKey}` } } }, 'request');
    service.logger.info({ request: { headers: { authorization: `Bearer ${adminKey}` } } }, 'nested');
    const lines = logs.lines();
    expect(lines).toHaveLength(5);
    expect(JSON.stringify(lines)).not.toContain(adminKey);
    expect(lines[1]).toMatchObject({ adminKey: '[redacted]' });
    expect(lines[2]).toMatchObject({ headers: { authorization: '[redacted]' } });
  });
});
