import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from './free-port.js';
import { pingRedis } from './redis-ping.js';
import { type RedisServer, startRedis } from './redis-server.js';
import { cleanupTempDirs, tempDir } from './temp-dir.js';

describe('startRedis', () => {
  const servers: RedisServer[] = [];
  async function redis(options?: Parameters<typeof startRedis>[0]): Promise<RedisServer> {
    const server = await startRedis(options);
    servers.push(server);
    return server;
  }

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });
  afterAll(cleanupTempDirs);

  it('starts a real redis that stores and returns values', async () => {
    const server = await redis();
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(server.port).not.toBe(6379);
    const client = server.client();
    await client.set('greeting', 'hello');
    expect(await client.get('greeting')).toBe('hello');
    expect(await client.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
    expect(await client.config('GET', 'save')).toEqual(['save', '']);
    expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
  });

  it('stop() shuts it down, closes clients and removes its own temp dir', async () => {
    const server = await redis();
    const client = server.client();
    await client.ping();
    await server.stop();
    expect(await pingRedis(server.port)).toBe(false);
    expect(client.status).toBe('end');
    expect(existsSync(server.dir)).toBe(false);
  });

  it('keeps a dir given by the caller', async () => {
    const dir = tempDir('star-redis-dir-').path;
    const server = await redis({ dir });
    expect(server.dir).toBe(dir);
    await server.stop();
    expect(existsSync(dir)).toBe(true);
  });

  it('restart() with appendOnly keeps the data, port and dir', async () => {
    const server = await redis({ appendOnly: true });
    const { port, dir, pid } = server;
    const client = server.client();
    expect(await client.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
    await client.set('durable', 'yes');
    await server.restart();
    expect(server.pid).not.toBe(pid);
    expect([server.port, server.dir]).toEqual([port, dir]);
    expect(await server.client().get('durable')).toBe('yes');
    // Clients from before the restart reconnect.
    expect(await client.get('durable')).toBe('yes');
  });

  it('appendOnly data survives kill() then restart()', async () => {
    const server = await redis({ appendOnly: true });
    await server.client().set('crash-safe', '1');
    await server.kill();
    await server.restart();
    expect(await server.client().get('crash-safe')).toBe('1');
  });

  it('kill() ends the process with SIGKILL', async () => {
    const server = await redis();
    expect(await server.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await pingRedis(server.port)).toBe(false);
  });

  it('pause() makes PING time out and resume() makes it answer again', async () => {
    const server = await redis();
    const client = server.client({ commandTimeout: 300 });
    expect(await client.ping()).toBe('PONG');
    server.pause();
    await expect(client.ping()).rejects.toThrow(/timed out/i);
    server.resume();
    expect(await client.ping()).toBe('PONG');
  });

  it('fails clearly when a fixed port is taken', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      await expect(startRedis({ port })).rejects.toThrow(new RegExp(`port ${port} is in use`));
    } finally {
      blocker.close();
    }
  });

  it('runs several servers side by side on distinct ports', async () => {
    const [a, b] = await Promise.all([redis(), redis()]);
    expect(a!.port).not.toBe(b!.port);
    await a!.client().set('where', 'a');
    expect(await b!.client().get('where')).toBeNull();
  });
});
