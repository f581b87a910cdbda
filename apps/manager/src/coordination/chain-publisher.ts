import { LinkPool } from '@star/core';
import { type ChainConfig, ChainKeys, ChainMethods, type NodeInfo, type Shard } from '@star/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Makes a journaled chain configuration take effect: first the shard's config key in Redis (which
 * a node reads whenever it meets a newer term or regains its lease), then a `node.configure` to
 * every member. A member that misses the call still converges through the key.
 */
export class ChainPublisher {
  readonly #redis: Redis;
  readonly #logger: Logger;
  readonly #links: LinkPool;

  constructor(params: { redis: Redis; logger: Logger; secret: string }) {
    this.#redis = params.redis;
    this.#logger = params.logger;
    this.#links = new LinkPool({ secret: params.secret, logger: params.logger, reconnectMaxDelayMs: 1_000 });
  }

  configOf(shard: Shard, nodes: ReadonlyMap<string, NodeInfo>): ChainConfig {
    return {
      shard: shard.id,
      term: shard.term,
      chain: shard.chain.map((id) => ({ id, address: nodes.get(id)?.internalAddress ?? 'unknown:0' })),
    };
  }

  async publish(shard: Shard, nodes: ReadonlyMap<string, NodeInfo>): Promise<void> {
    const config = this.configOf(shard, nodes);
    await this.#redis.set(ChainKeys.shardConfig(shard.id), JSON.stringify(config));
    await Promise.all(
      config.chain.map(async (member) => {
        try {
          await this.#links
            .client(member.address)
            .request(ChainMethods.configure, config, { timeoutMs: 3_000 });
        } catch (error) {
          this.#logger.warn(
            { err: error, shard: shard.id, node: member.id },
            'configure not delivered; the node will read the key',
          );
        }
      }),
    );
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
