import { afterEach, describe, expect, it } from 'vitest';
import { ensureRedisServer } from './redis-binary.js';

describe('ensureRedisServer', () => {
  const saved = process.env.STAR_REDIS_SERVER;

  afterEach(() => {
    if (saved === undefined) delete process.env.STAR_REDIS_SERVER;
    else process.env.STAR_REDIS_SERVER = saved;
  });

  it('finds an executable redis-server', async () => {
    delete process.env.STAR_REDIS_SERVER;
    expect(await ensureRedisServer()).toMatch(/redis-server$/);
  });

  it('honours STAR_REDIS_SERVER', async () => {
    delete process.env.STAR_REDIS_SERVER;
    const real = await ensureRedisServer();
    process.env.STAR_REDIS_SERVER = real;
    expect(await ensureRedisServer()).toBe(real);
  });

  it('explains how to install when STAR_REDIS_SERVER is not executable', async () => {
    process.env.STAR_REDIS_SERVER = '/nonexistent/redis-server';
    const attempt = ensureRedisServer();
    await expect(attempt).rejects.toThrow(/STAR_REDIS_SERVER=\/nonexistent\/redis-server/);
    await expect(attempt).rejects.toThrow(/sudo apt-get install -y redis-server/);
  });
});
