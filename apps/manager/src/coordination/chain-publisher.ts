import { failpoint, LinkPool } from '@star/core';
import {
  type ChainConfig,
  ChainKeys,
  ChainMethods,
  ControlPlaneCodecs,
  type NodeInfo,
  type Shard,
} from '@star/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Makes a journaled chain configuration take effect: first the shard's config key in Redis (which
 * a node reads whenever it meets a newer term and on every lease renewal), then a `node.configure`
 * to every node that left the chain, then to every member. A member that misses the call still
 * converges through the key.
 *
 * Nodes leaving a chain while alive (a move, a trim) hold a valid read lease, which is per node:
 * until they learn the new term they would go on answering reads of the shard from a state the
 * new chain no longer updates. So they are told first, and if one cannot be told while its lease
 * key still exists, the members are configured only after a lease period (plus a margin) has
 * passed since the key was written: by then the leaving node's own renewals have read the key and
 * dropped the shard, or its lease has run out. (Found by the fault suite: a move's source kept
 * serving a frozen shard for 23 s.) A node removed for failure has no lease key left: no wait.
 */
export class ChainPublisher {
  readonly #redis: Redis;
  readonly #logger: Logger;
  readonly #links: LinkPool;

  readonly #leaseWaitMs: number;

  constructor(params: {
    redis: Redis;
    logger: Logger;
    secret: string;
    /** The nodes' read lease plus a margin: how long a leaving node that missed its call may serve. */
    leaseWaitMs?: number;
  }) {
    this.#redis = params.redis;
    this.#logger = params.logger;
    this.#leaseWaitMs = params.leaseWaitMs ?? 0;
    this.#links = new LinkPool({ secret: params.secret, logger: params.logger, reconnectMaxDelayMs: 1_000 });
  }

  configOf(shard: Shard, nodes: ReadonlyMap<string, NodeInfo>): ChainConfig {
    return {
      shard: shard.id,
      term: shard.term,
      chain: shard.chain.map((id) => {
        const node = nodes.get(id);
        const incarnation = node?.incarnation;
        return { id, address: node?.internalAddress ?? 'unknown:0', ...(incarnation ? { incarnation } : {}) };
      }),
    };
  }

  async publish(shard: Shard, nodes: ReadonlyMap<string, NodeInfo>): Promise<void> {
    await failpoint('manager.before-publish', shard.id);
    const config = this.configOf(shard, nodes);
    const key = ChainKeys.shardConfig(shard.id);
    const previousRaw = await this.#redis.get(key);
    await this.#redis.set(key, ControlPlaneCodecs.shardConfig.encode(config));
    const writtenAt = performance.now();
    await failpoint('manager.after-config-write', shard.id);
    const previous = this.#decodePrevious(previousRaw, key);
    const leaving =
      previous === undefined || previous.term >= config.term
        ? []
        : previous.chain.filter((member) => !config.chain.some((next) => next.id === member.id));
    // Only a leaving node whose lease key still exists can be serving reads; a dead one is skipped
    // (dialing it would only delay the failover).
    const untold = await Promise.all(
      leaving.map(async (member) => {
        if ((await this.#redis.exists(ChainKeys.nodeLease(member.id))) === 0) return false;
        return !(await this.#tell(member, config));
      }),
    );
    if (untold.includes(true)) {
      const waitMs = writtenAt + this.#leaseWaitMs - performance.now();
      this.#logger.warn(
        { shard: shard.id, term: config.term, waitMs: Math.round(waitMs) },
        'a node leaving the chain holds a lease and was not told; configuring members after its lease',
      );
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
    await Promise.all(config.chain.map((member) => this.#tell(member, config)));
  }

  /** The configuration being replaced; a malformed one is logged and treated as none to tell. */
  #decodePrevious(raw: string | null, key: string): ChainConfig | undefined {
    if (raw === null) return undefined;
    try {
      return ControlPlaneCodecs.shardConfig.decode(raw, key);
    } catch (error) {
      this.#logger.error({ err: error }, 'published configuration was malformed; overwriting it');
      return undefined;
    }
  }

  /** Sends the configuration to one node; false when it was not delivered. */
  async #tell(member: ChainConfig['chain'][number], config: ChainConfig): Promise<boolean> {
    try {
      await failpoint('manager.before-configure', member.id);
      await this.#links.client(member.address).request(ChainMethods.configure, config, { timeoutMs: 3_000 });
      await failpoint('manager.after-configure', member.id);
      return true;
    } catch (error) {
      // A node already at a newer term has moved past this configuration: as good as told.
      if ((error as { code?: string }).code === 'StaleTerm') return true;
      this.#logger.warn(
        { err: error, shard: config.shard, node: member.id },
        'configure not delivered; the node will read the key',
      );
      return false;
    }
  }

  /** A request to a node (status queries during moves). */
  request<T>(address: string, method: string, body: unknown): Promise<T> {
    return this.#links.client(address).request<T>(method, body, { timeoutMs: 3_000 });
  }

  async remove(shardId: number): Promise<void> {
    await this.#redis.del(ChainKeys.shardConfig(shardId));
  }

  close(): void {
    this.#links.closeAll();
  }
}
