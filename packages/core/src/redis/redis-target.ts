import { StarError } from '@star/protocol';
import type { RedisOptions, SentinelAddress } from 'ioredis';

/** Where the control plane is: one Redis by URL, or a Sentinel-watched primary by master name. */
export interface RedisTarget {
  /** `redis://[:password@]host:port[/db]`; with sentinels only its password and db are used. */
  url: string;
  /** `host:port,host:port`; empty for a plain URL. */
  sentinels?: string;
  /** Sentinel master name. */
  master?: string;
}

/** `host:port,host:port` → sentinel addresses; a bad entry is a typed InvalidConfig, never a crash. */
export function parseSentinels(list: string): SentinelAddress[] {
  if (list.trim() === '') return [];
  return list.split(',').map((entry) => {
    const match = /^\s*([^\s:]+):(\d{1,5})\s*$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      throw new StarError('InvalidConfig', `STAR_REDIS_SENTINELS: not host:port: ${JSON.stringify(entry)}`);
    }
    return { host: match[1]!, port };
  });
}

/**
 * The ioredis options that reach the target. With sentinels, ioredis asks them for the master's
 * address on every (re)connect and checks the role it reaches, so a failover is followed by
 * reconnecting; the URL's password (if any) goes to the data nodes, never into a log line.
 */
export function redisTargetOptions(target: RedisTarget): { url?: string; options: RedisOptions } {
  const sentinels = parseSentinels(target.sentinels ?? '');
  if (sentinels.length === 0) return { url: target.url, options: {} };
  const url = new URL(target.url);
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  const db = Number(url.pathname.replace(/^\//, '') || 0);
  return {
    options: {
      sentinels,
      name: target.master ?? 'star',
      role: 'master',
      ...(password === undefined ? {} : { password }),
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(Number.isInteger(db) && db > 0 ? { db } : {}),
      // Ask again soon when no sentinel answers; a failover takes seconds, not minutes.
      sentinelRetryStrategy: (attempt: number) => Math.min(100 * 2 ** attempt, 2_000),
      sentinelMaxConnections: 3,
      // Subscribe to the sentinels' +switch-master and drop the connection at once: a primary that
      // is paused or cut off keeps its sockets open, and commands on them would hang until it is back.
      failoverDetector: true,
      // A demoted primary answers writes with READONLY: reconnect (through the sentinels) and resend.
      reconnectOnError: (error: Error) => (/^READONLY/.test(error.message) ? 2 : false),
      enableTLSForSentinelMode: url.protocol === 'rediss:',
    },
  };
}

/** What a log line may say about the target: addresses and the master name, never a password. */
export function describeRedisTarget(target: RedisTarget): string {
  const sentinels = parseSentinels(target.sentinels ?? '');
  if (sentinels.length > 0) {
    return `sentinel master ${target.master ?? 'star'} via ${sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`;
  }
  try {
    const url = new URL(target.url);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return '(unparsable redis url)';
  }
}
