import { once } from 'node:events';
import { ManagerKeys } from '@star/protocol';
import type { Redis } from 'ioredis';
import { LeaderElection, type LeaderElectionParams } from '../leader-election.js';

/** Test helpers for elections: a short lease, and event waits with a deadline. */
export const LEASE_MS = 1_000;
export const RENEW_MS = 250;

export function newElection(
  redis: Redis,
  id: string,
  params: Partial<LeaderElectionParams> = {},
): LeaderElection {
  return new LeaderElection({
    redis,
    managerId: id,
    address: `http://${id}.test:7000`,
    leaseMs: LEASE_MS,
    renewEveryMs: RENEW_MS,
    ...params,
  });
}

export async function nextElected(election: LeaderElection, timeoutMs = 5_000): Promise<number> {
  const [token] = await once(election, 'elected', { signal: AbortSignal.timeout(timeoutMs) });
  return token as number;
}

export async function nextDeposed(election: LeaderElection, timeoutMs = 5_000): Promise<string> {
  const [reason] = await once(election, 'deposed', { signal: AbortSignal.timeout(timeoutMs) });
  return reason as string;
}

/** The wall-clock ms at which the leader key expires (PEXPIRETIME), or a negative PEXPIRETIME reply. */
export function leaderKeyExpiresAt(redis: Redis): Promise<number> {
  return redis.pexpiretime(ManagerKeys.leader);
}
