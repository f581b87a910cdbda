import { type AppliedReport, ChainKeys, ControlPlaneCodecs } from '@star/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ReplicaSet } from './replica-set.js';

/**
 * Reports the `(shard, term)` of every replica this node holds (DESIGN §3.11), after each lease
 * renewal's revalidation: the leader's Reconciler compares it with the journal and re-tells a
 * member that lags. The key expires after a few leases, so a dead node's report goes with it.
 * A failed write is only logged: the report must never cost the node its lease.
 */
export class AppliedReporter {
  readonly #redis: Redis;
  readonly #nodeId: string;
  readonly #ttlMs: number;
  readonly #logger: Logger;

  constructor(params: { redis: Redis; nodeId: string; ttlMs: number; logger: Logger }) {
    this.#redis = params.redis;
    this.#nodeId = params.nodeId;
    this.#ttlMs = params.ttlMs;
    this.#logger = params.logger;
  }

  report(replicas: ReplicaSet | undefined): void {
    if (replicas === undefined) return;
    const report: AppliedReport = {
      node: this.#nodeId,
      at: Date.now(),
      shards: replicas.all().map((replica) => ({ shard: replica.shard, term: replica.term })),
    };
    this.#redis
      .set(
        ChainKeys.nodeApplied(this.#nodeId),
        ControlPlaneCodecs.appliedReport.encode(report),
        'PX',
        this.#ttlMs,
      )
      .catch((error: unknown) => this.#logger.warn({ err: error }, 'applied report not written'));
  }
}
