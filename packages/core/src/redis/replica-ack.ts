import { StarError } from '@star/protocol';
import type { Redis } from 'ioredis';

/**
 * How many replicas must hold a write before it counts (Redis `WAIT`). Redis replicates
 * asynchronously: a primary that dies right after acknowledging loses what its replicas had not
 * received, and Sentinel promotes one of them. Journal appends and fencing-token increments are
 * acted on only after this policy holds, so a failover never loses one that was acted on.
 */
export interface ReplicaAckPolicy {
  replicas: number;
  timeoutMs: number;
}

export const NO_REPLICA_ACKS: ReplicaAckPolicy = { replicas: 0, timeoutMs: 1_000 };

/** `redisReplicaAcks` -1 means: 1 with sentinels (there are replicas to wait for), 0 with a plain URL. */
export function replicaAckPolicy(config: {
  redisSentinels?: string;
  redisReplicaAcks?: number;
  redisReplicaAckTimeoutMs?: number;
}): ReplicaAckPolicy {
  const configured = config.redisReplicaAcks ?? -1;
  const sentinels = (config.redisSentinels ?? '').trim() !== '';
  return {
    replicas: configured >= 0 ? configured : sentinels ? 1 : 0,
    timeoutMs: config.redisReplicaAckTimeoutMs ?? 1_000,
  };
}

/**
 * A write the primary applied but too few replicas acknowledged in time (or the connection changed
 * between the write and the WAIT, so the WAIT proves nothing). Retryable: the write may or may not
 * survive a failover, so the writer must not act on it; whoever reads it later (a new leader
 * replaying the journal) may, because then it is on the primary that leader talks to.
 */
export class ReplicaAckError extends StarError {
  /** What the write itself replied (the primary applied it), for a writer that must undo it. */
  result: unknown;

  constructor(acked: number, policy: ReplicaAckPolicy, why?: string) {
    super(
      'Unavailable',
      why ??
        `only ${acked} of ${policy.replicas} Redis replicas acknowledged the write within ${policy.timeoutMs} ms`,
      { acked, wanted: policy.replicas, timeoutMs: policy.timeoutMs },
    );
    this.name = 'ReplicaAckError';
  }
}

export function isReplicaAckError(error: unknown): error is ReplicaAckError {
  return error instanceof ReplicaAckError;
}

const epochs = new WeakMap<Redis, { value: number }>();

/** Counts the connection's (re)connects: WAIT only covers writes sent on the same socket. */
function connectionEpoch(redis: Redis): number {
  let epoch = epochs.get(redis);
  if (epoch === undefined) {
    const counter = { value: 0 };
    redis.on('connect', () => {
      counter.value++;
    });
    epochs.set(redis, counter);
    epoch = counter;
  }
  return epoch.value;
}

/**
 * Runs `write` on `redis`, then `WAIT replicas timeout` on the same connection; resolves with the
 * write's result only when enough replicas hold it, else throws `ReplicaAckError`. Errors of the
 * write itself (e.g. fenced) pass through unchanged: nothing was written then.
 */
export async function withReplicaAck<T>(
  redis: Redis,
  policy: ReplicaAckPolicy,
  write: () => Promise<T>,
): Promise<T> {
  if (policy.replicas <= 0) return write();
  const before = connectionEpoch(redis);
  const result = await write();
  const refuse = (error: ReplicaAckError): never => {
    error.result = result;
    throw error;
  };
  let acked: number;
  try {
    acked = Number(await redis.call('WAIT', policy.replicas, policy.timeoutMs));
  } catch (error) {
    return refuse(
      new ReplicaAckError(0, policy, `WAIT for Redis replicas failed: ${(error as Error).message}`),
    );
  }
  if (connectionEpoch(redis) !== before) {
    return refuse(
      new ReplicaAckError(0, policy, 'the Redis connection was re-established between a write and its WAIT'),
    );
  }
  if (acked < policy.replicas) return refuse(new ReplicaAckError(acked, policy));
  return result;
}
