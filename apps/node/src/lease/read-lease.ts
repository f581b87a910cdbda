import { ChainKeys, ControlPlaneCodecs } from '@star/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface ReadLeaseOptions {
  leaseMs: number;
  renewEveryMs: number;
}

/**
 * The node's read lease (DESIGN §3.8): renewed in Redis with `SET ... PX` of a record naming this
 * incarnation and a renewal counter, and counted locally from *before* each renewal was sent, on the
 * monotonic clock. The manager sees each renewal as a change of the counter and removes a node only
 * after it saw none for a lease plus a margin on its own clock — later than this node's lease ends,
 * even when the key vanishes early. After a lapse (a pause, a
 * partition, a restart) the node revalidates its shard configurations before serving again; on
 * every other renewal it re-reads them too, before extending the lease.
 */
export class ReadLease {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #incarnation: string;
  #renewals = 0;
  readonly #options: ReadLeaseOptions;
  readonly #logger: Logger;
  readonly #revalidate: () => Promise<void>;
  readonly #canRenew: () => boolean;
  #expiresAt = 0;
  #revalidating = false;
  #timer: NodeJS.Timeout | undefined;
  #renewing = false;

  constructor(params: {
    redis: Redis;
    nodeId: string;
    /** This process's incarnation (see incarnation.ts). */
    incarnation: string;
    options: ReadLeaseOptions;
    logger: Logger;
    /** Runs after a lapse, before reads are served again. */
    revalidate: () => Promise<void>;
    /**
     * False while the node cannot persist (its disk is full): renewals stop, so the lease lapses
     * and the manager chains around the node; they resume (after a revalidation) once it is true.
     */
    canRenew?: () => boolean;
  }) {
    this.#redis = params.redis;
    this.#key = ChainKeys.nodeLease(params.nodeId);
    this.#incarnation = params.incarnation;
    this.#options = params.options;
    this.#logger = params.logger.child({ component: 'lease' });
    this.#revalidate = params.revalidate;
    this.#canRenew = params.canRenew ?? (() => true);
  }

  start(): void {
    void this.renew();
    this.#timer = setInterval(() => void this.renew(), this.#options.renewEveryMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#expiresAt = 0;
  }

  /**
   * The control plane's primary changed: the renewals this lease stems from may be lost with the
   * old primary, so the lease is unknown. Lapse now: no reads until a renewal on the new primary
   * (and a revalidation of the configurations there) vouches for it again (DESIGN §3.8).
   */
  lapse(): void {
    if (this.#expiresAt === 0) return;
    this.#expiresAt = 0;
    this.#logger.warn('redis primary changed: read lease dropped until renewed on the new primary');
    void this.renew();
  }

  validForMs(): number {
    if (this.#revalidating) return 0;
    return Math.max(0, this.#expiresAt - performance.now());
  }

  async renew(): Promise<void> {
    if (this.#renewing || !this.#canRenew()) return;
    this.#renewing = true;
    const sentAt = performance.now();
    const lapsed = sentAt >= this.#expiresAt;
    try {
      const record = ControlPlaneCodecs.nodeLease.encode({
        incarnation: this.#incarnation,
        renewal: ++this.#renewals,
      });
      await this.#redis.set(this.#key, record, 'PX', this.#options.leaseMs);
      if (lapsed) {
        // Reads stay refused until the configuration is known current; a failure leaves it lapsed.
        this.#revalidating = true;
        try {
          await this.#revalidate();
          this.#expiresAt = sentAt + this.#options.leaseMs;
          this.#logger.info('read lease acquired; configuration revalidated');
        } finally {
          this.#revalidating = false;
        }
      } else {
        // Every renewal also re-reads the chain configurations before extending the lease: a node
        // taken out of a chain while its lease held (a move, with the manager unable to reach it)
        // stops serving that shard within one renewal. The fault suite found a move's source
        // answering reads of a frozen shard for 23 s because nothing ever told it.
        await this.#revalidate();
        this.#expiresAt = sentAt + this.#options.leaseMs;
      }
    } catch (error) {
      this.#logger.warn({ err: error, validForMs: this.validForMs() }, 'read lease renewal failed');
    } finally {
      this.#renewing = false;
    }
  }
}
