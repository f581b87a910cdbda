import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { describeRedisTarget, type RedisTarget, redisTargetOptions } from './redis-target.js';

/**
 * The one factory for control-plane connections (every service, BullMQ's too, via `duplicate()`,
 * which keeps the sentinel settings): a plain URL or a Sentinel master. It never gives up:
 * reconnects with capped exponential backoff and logs each state change once, so a Redis restart or
 * a failover shows in the logs as down/up rather than a flood. The log names the target without
 * its password.
 */
export function connectRedis(
  target: RedisTarget | string,
  logger: Logger,
  options: RedisOptions = {},
): Redis {
  const resolved: RedisTarget = typeof target === 'string' ? { url: target } : target;
  const log = logger.child({ component: 'redis', target: describeRedisTarget(resolved) });
  const { url, options: targetOptions } = redisTargetOptions(resolved);
  const settings: RedisOptions = {
    lazyConnect: false,
    maxRetriesPerRequest: 2,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    ...targetOptions,
    ...options,
  };
  const redis = url === undefined ? new Redis(settings) : new Redis(url, settings);
  let down = false;
  redis.on('ready', () => {
    if (down) log.info('redis reconnected');
    else log.debug('redis connected');
    down = false;
  });
  redis.on('error', (error) => {
    if (!down)
      log.warn(
        { err: { message: error.message, code: (error as { code?: string }).code } },
        'redis connection error',
      );
    down = true;
  });
  return redis;
}

/** Round-trip check used by /health: PING with its own deadline. */
export async function pingRedis(redis: Redis, timeoutMs = 1_000): Promise<{ latencyMs: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no PONG within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
  return { latencyMs: Math.round((performance.now() - started) * 100) / 100 };
}
