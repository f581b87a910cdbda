import { afterAll, describe, expect, it } from 'vitest';
import { startRedis } from '../redis-server.js';
import { cleanupTempDirs } from '../temp-dir.js';
import { stepRedisKeyClock } from './redis-key-clock.js';

describe('stepRedisKeyClock', () => {
  afterAll(cleanupTempDirs);

  it('moves every expiry as a step of the wall clock would, and leaves keys without one alone', async () => {
    const server = await startRedis();
    try {
      const redis = server.client();
      await redis.set('lease-short', 'a', 'PX', 10_000);
      await redis.set('lease-long', 'b', 'PX', 60_000);
      await redis.set('forever', 'c');
      expect(await stepRedisKeyClock(redis, 30_000)).toEqual({ moved: 1, expired: 1 });
      expect(await redis.exists('lease-short')).toBe(0);
      const long = await redis.pttl('lease-long');
      expect(long).toBeGreaterThan(25_000);
      expect(long).toBeLessThanOrEqual(30_000);
      expect(await redis.pttl('forever')).toBe(-1);
      // A step back: the expiry comes later.
      expect(await stepRedisKeyClock(redis, -60_000)).toEqual({ moved: 1, expired: 0 });
      expect(await redis.pttl('lease-long')).toBeGreaterThan(85_000);
      expect(await redis.get('forever')).toBe('c');
    } finally {
      await server.stop();
    }
  });
});
