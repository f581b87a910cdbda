import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redisRole } from '@star/testkit';
import type { ServiceRecord } from './cluster-file.js';
import { redisArgs } from './service-spec.js';

/** The Sentinel master name of a local `--ha` cluster. */
export const HA_MASTER = 'star';
export const HA_REPLICAS = 2;
export const HA_SENTINELS = 3;
/**
 * How long the sentinels wait before calling a silent primary down, and their failover timeout. A
 * failover whose leader vote splits is tried again only after twice the timeout: short, for a
 * local cluster (a split vote then costs 10 s, not 20).
 */
const DOWN_AFTER_MS = 2_000;
const FAILOVER_TIMEOUT_MS = 5_000;

/**
 * A data node's redis.conf, written once: Sentinel rewrites `replicaof` in it on every failover
 * (CONFIG REWRITE), so a stopped and restarted `--ha` cluster comes back with the roles it had.
 * Port, dir and persistence come from the command line each start.
 */
export function ensureDataNodeConf(dir: string, replicaOfPort: number | undefined): string {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'redis.conf');
  if (!existsSync(conf)) {
    const lines = ['# written by ./star up --ha; Sentinel rewrites the replication settings here'];
    if (replicaOfPort !== undefined) lines.push(`replicaof 127.0.0.1 ${replicaOfPort}`);
    writeFileSync(conf, `${lines.join('\n')}\n`);
  }
  return conf;
}

export function dataNodeArgs(conf: string, port: number, dir: string): string[] {
  return [conf, ...redisArgs(port, dir)];
}

/** A sentinel's conf, written once (Sentinel keeps its view of the topology in it). */
export function ensureSentinelConf(dir: string, port: number, primaryPort: number): string {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'sentinel.conf');
  if (!existsSync(conf)) {
    const quorum = Math.floor(HA_SENTINELS / 2) + 1;
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${HA_MASTER} 127.0.0.1 ${primaryPort} ${quorum}`,
        `sentinel down-after-milliseconds ${HA_MASTER} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${HA_MASTER} ${FAILOVER_TIMEOUT_MS}`,
        `sentinel parallel-syncs ${HA_MASTER} 1`,
        '',
      ].join('\n'),
    );
  }
  return conf;
}

export function sentinelArgs(conf: string, port: number): string[] {
  return [conf, '--sentinel', '--port', String(port), '--daemonize', 'no', '--logfile', ''];
}

/** `STAR_REDIS_SENTINELS` of a cluster: every sentinel record with a port. */
export function sentinelList(sentinels: ServiceRecord[]): string {
  return sentinels
    .filter((sentinel) => sentinel.port !== 0)
    .map((sentinel) => `127.0.0.1:${sentinel.port}`)
    .join(',');
}

/** What a Redis process says it is: `primary`, `replica`, `sentinel`, or `?` when it does not answer. */
export async function redisRoleName(port: number): Promise<string> {
  const role = await redisRole(port);
  return role === 'master' ? 'primary' : role === 'slave' ? 'replica' : role === 'down' ? '?' : role;
}
