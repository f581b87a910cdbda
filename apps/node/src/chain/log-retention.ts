import type { Logger } from 'pino';
import type { ReplicaSet } from './replica-set.js';

const EVERY_MS = 5_000;
/** Per shard and pass, so a pass never holds the event loop long. */
const MAX_TRIM_PER_PASS = 50_000;

/**
 * Keeps each shard's log from growing without bound: entries behind the commit point beyond a
 * configured tail are deleted (a lagging successor catches up from that tail; one further behind
 * needs a snapshot), and request results older than the retry window are pruned.
 */
export class LogRetention {
  readonly #replicas: ReplicaSet;
  readonly #keepTail: number;
  /** How long committed request results are kept for answering retries (a runtime setting). */
  readonly #resultRetentionMs: () => number;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    replicas: ReplicaSet,
    options: { keepTail: number; resultRetentionMs?: () => number; logger: Logger },
  ) {
    this.#replicas = replicas;
    this.#keepTail = options.keepTail;
    this.#resultRetentionMs = options.resultRetentionMs ?? (() => 10 * 60_000);
    this.#logger = options.logger;
  }

  start(): void {
    this.#timer = setInterval(() => this.pass(), EVERY_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** One pass over every shard; returns the log entries removed. */
  pass(): number {
    let trimmed = 0;
    for (const replica of this.#replicas.all()) {
      try {
        trimmed += replica.store.trimLog(this.#keepTail, { maxEntries: MAX_TRIM_PER_PASS });
        replica.store.pruneRequests(this.#resultRetentionMs());
      } catch (error) {
        this.#logger.warn({ err: error, shard: replica.shard }, 'log retention pass failed');
      }
    }
    return trimmed;
  }
}
