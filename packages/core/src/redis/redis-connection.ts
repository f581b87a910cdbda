import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/**
 * A control-plane connection that never gives up: reconnects with capped exponential backoff and
 * logs each state change once, so a Redis restart shows in the logs as down/up rather than a flood.
 */
export function connectRedis(url: string, logger: Logger, options: RedisOptions = {}): Redis {
  const log = logger.child({ component: 'redis' });
  const redis = new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: 2,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    ...options,
  });
  let down = false;
  redis.on('ready', () => {
    if (down) log.info('redis reconnected');
    else log.debug('redis connected');
    down = false;
  });
  redis.on('error', (error) => {
    if (!down) log.warn({ err: error }, 'redis connection error');
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
