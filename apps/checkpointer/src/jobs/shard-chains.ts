import { LinkPool, type Logger } from '@star/core';
import { type ChainConfig, ChainKeys, ControlPlaneCodecs } from '@star/protocol';
import type { Redis } from 'ioredis';

/**
 * How checkpointers reach shard replicas: a shard's chain as published in Redis (the same key the
 * nodes read) and one link per node.
 */
export class ShardChains {
  readonly #redis: Redis;
  readonly #links: LinkPool;

  constructor(params: { redis: Redis; secret: string; logger: Logger }) {
    this.#redis = params.redis;
    this.#links = new LinkPool({ secret: params.secret, logger: params.logger, reconnectMaxDelayMs: 1_000 });
  }

  async configOf(shard: number): Promise<ChainConfig | undefined> {
    const key = ChainKeys.shardConfig(shard);
    const raw = await this.#redis.get(key);
    return raw === null ? undefined : ControlPlaneCodecs.shardConfig.decode(raw, key);
  }

  /** Ids of every shard with a published chain. */
  async shards(): Promise<number[]> {
    const ids: number[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.#redis.scan(
        cursor,
        'MATCH',
        ChainKeys.shardConfig(0).replace('0', '*'),
        'COUNT',
        500,
      );
      cursor = next;
      for (const key of keys) {
        const id = Number(/:(\d+):/.exec(key)?.[1]);
        if (Number.isSafeInteger(id)) ids.push(id);
      }
    } while (cursor !== '0');
    return ids.sort((a, b) => a - b);
  }

  request<T>(address: string, method: string, body: unknown, timeoutMs = 30_000): Promise<T> {
    return this.#links.client(address).request<T>(method, body, { timeoutMs });
  }

  close(): void {
    this.#links.closeAll();
  }
}
