import { StarError } from '@star/protocol';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { mountFailpointRoutes } from './failpoint-routes.js';
import { Failpoints } from './failpoints.js';

describe('Failpoints', () => {
  it('costs nothing while disarmed', () => {
    const points = new Failpoints();
    expect(points.armed).toBe(false);
    expect(points.hit('node.before-forward')).toBeUndefined();
  });

  it('sleeps, errors with a code, and fires N times only', async () => {
    const points = new Failpoints();
    points.load('node.before-forward=sleep(30);manager.before-configure=2*error(Timeout)');
    const started = performance.now();
    await points.hit('node.before-forward');
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    await expect(points.hit('manager.before-configure')).rejects.toMatchObject({ code: 'Timeout' });
    await expect(points.hit('manager.before-configure')).rejects.toBeInstanceOf(StarError);
    expect(points.hit('manager.before-configure')).toBeUndefined();
    expect(Object.keys(points.list())).toEqual(['node.before-forward']);
  });

  it('narrows a point to a tag', async () => {
    const points = new Failpoints();
    points.load('manager.before-configure@n3=error');
    expect(points.hit('manager.before-configure', 'n1')).toBeUndefined();
    expect(points.hit('manager.before-configure')).toBeUndefined();
    await expect(points.hit('manager.before-configure', 'n3')).rejects.toMatchObject({ code: 'Unavailable' });
  });

  it('pauses until disarmed', async () => {
    const points = new Failpoints();
    points.load('manager.after-config-write=pause');
    let passed = false;
    const hit = points.hit('manager.after-config-write')!.then(() => {
      passed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(passed).toBe(false);
    points.clear({ name: 'manager.after-config-write' });
    await hit;
    expect(passed).toBe(true);
  });

  it('refuses unknown names and bad actions, arming nothing', () => {
    const points = new Failpoints();
    expect(() => points.load('node.before-forward=sleep(1);node.nope=exit')).toThrow(
      /unknown failpoint "node.nope"/,
    );
    expect(() => points.load('node.before-forward=explode')).toThrow(/not one of/);
    expect(() => points.load('node.before-forward=sleep(x)')).toThrow(/milliseconds/);
    expect(points.armed).toBe(false);
  });
});

describe('the internal failpoint route', () => {
  async function app(secret: string) {
    const points = new Failpoints();
    const server = Fastify();
    server.setErrorHandler((error, _request, reply) => {
      const starError = StarError.from(error);
      void reply.status(starError.status).send(starError.toBody());
    });
    mountFailpointRoutes(server, points, secret);
    await server.ready();
    return { points, server };
  }

  it('arms and disarms with the cluster secret only', async () => {
    const { points, server } = await app('s3cret-s3cret');
    const put = (authorization: string | undefined, body = 'sleep(5)') =>
      server.inject({
        method: 'PUT',
        url: '/internal/failpoints/node.before-forward@7',
        headers: { 'content-type': 'text/plain', ...(authorization ? { authorization } : {}) },
        body,
      });
    expect((await put(undefined)).statusCode).toBe(401);
    expect((await put('Bearer wrong')).statusCode).toBe(401);
    expect(points.armed).toBe(false);
    const bad = await put('Bearer s3cret-s3cret', 'boom');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/not one of/);
    const ok = await put('Bearer s3cret-s3cret');
    expect(ok.statusCode).toBe(200);
    expect(ok.json().failpoints).toEqual({ 'node.before-forward@7': { action: { kind: 'sleep', ms: 5 } } });
    const cleared = await server.inject({
      method: 'DELETE',
      url: '/internal/failpoints/node.before-forward@7',
      headers: { authorization: 'Bearer s3cret-s3cret' },
    });
    expect(cleared.json().failpoints).toEqual({});
    expect(points.armed).toBe(false);
  });

  it('refuses everything when no cluster secret is set', async () => {
    const { server } = await app('');
    const response = await server.inject({ method: 'GET', url: '/internal/failpoints' });
    expect(response.statusCode).toBe(403);
    expect(response.json().message).toMatch(/STAR_CLUSTER_SECRET/);
  });
});
