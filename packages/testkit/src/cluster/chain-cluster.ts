import { join } from 'node:path';
import { LinkClient } from '@star/core';
import { type ChainConfig, ChainKeys, ChainMethods, type NodeStatus, StarError } from '@star/protocol';
import { type RedisServer, startRedis } from '../redis-server.js';
import { type TempDir, tempDir } from '../temp-dir.js';
import { waitFor } from '../wait-for.js';
import { type RunningService, startService } from './service-launcher.js';

export interface ChainNode {
  id: string;
  dataDir: string;
  service: RunningService;
  address: string;
  link: LinkClient;
}

export interface ChainClusterOptions {
  nodes: number;
  leaseMs?: number;
  leaseRenewMs?: number;
  maxValueBytes?: number;
}

/**
 * A real chain for tests: a redis-server, node processes with their own data dirs, and a controller
 * playing the manager's part — it writes each shard's configuration to Redis, then tells every member,
 * and before removing a node it waits out that node's lease (as DESIGN §3.8 requires of the manager).
 */
export class ChainCluster {
  readonly nodes = new Map<string, ChainNode>();
  readonly configs = new Map<number, ChainConfig>();
  readonly options: Required<ChainClusterOptions>;
  #redis!: RedisServer;
  #dir!: TempDir;

  private constructor(options: ChainClusterOptions) {
    this.options = { leaseMs: 1_500, leaseRenewMs: 300, maxValueBytes: 4 * 1024 * 1024, ...options };
  }

  static async start(options: ChainClusterOptions): Promise<ChainCluster> {
    const cluster = new ChainCluster(options);
    cluster.#redis = await startRedis();
    cluster.#dir = tempDir('star-chain-');
    await Promise.all(Array.from({ length: options.nodes }, (_, i) => cluster.startNode(`n${i + 1}`)));
    return cluster;
  }

  get redis(): RedisServer {
    return this.#redis;
  }

  node(id: string): ChainNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** Starts (or restarts, keeping its data dir) a node process. */
  async startNode(id: string): Promise<ChainNode> {
    const previous = this.nodes.get(id);
    const dataDir = previous?.dataDir ?? join(this.#dir.path, id);
    previous?.link.close();
    const service = await startService(
      'node',
      {
        STAR_REDIS_URL: this.#redis.url,
        STAR_NODE_ID: id,
        STAR_INSTANCE_ID: id,
        STAR_DATA_DIR: dataDir,
        STAR_LEASE_MS: String(this.options.leaseMs),
        STAR_LEASE_RENEW_MS: String(this.options.leaseRenewMs),
        STAR_MAX_VALUE_BYTES: String(this.options.maxValueBytes),
        STAR_LOG_LEVEL: 'info',
      },
      { port: previous?.service.port },
    );
    const address = `127.0.0.1:${service.port}`;
    const link = new LinkClient({
      url: `ws://${address}/v1/link`,
      reconnectMinDelayMs: 20,
      reconnectMaxDelayMs: 200,
    });
    const node = { id, dataDir, service, address, link };
    this.nodes.set(id, node);
    return node;
  }

  /** Publishes a shard's chain at the next term and tells every live member. */
  async configure(shard: number, chainIds: string[]): Promise<ChainConfig> {
    const term = (this.configs.get(shard)?.term ?? 0) + 1;
    const config: ChainConfig = {
      shard,
      term,
      chain: chainIds.map((id) => ({ id, address: this.node(id).address })),
    };
    await this.#redis.client().set(ChainKeys.shardConfig(shard), JSON.stringify(config));
    this.configs.set(shard, config);
    await Promise.all(chainIds.map((id) => this.request(id, ChainMethods.configure, config)));
    return config;
  }

  /** What the manager does before removing a node: wait until its lease key expired, plus a margin. */
  async waitForLeaseExpiry(id: string, marginMs = 200): Promise<void> {
    const redis = this.#redis.client();
    await waitFor(async () => (await redis.exists(ChainKeys.nodeLease(id))) === 0, {
      description: `lease of ${id} to expire`,
      timeoutMs: this.options.leaseMs * 4,
    });
    await new Promise((resolve) => setTimeout(resolve, marginMs));
  }

  /** waitFor that, on timeout, adds every node's state and recent log lines to the error. */
  async waitFor<T>(
    probe: () => Promise<T | undefined | false>,
    options: { description: string; timeoutMs: number },
  ) {
    try {
      return await waitFor(probe, options);
    } catch (error) {
      const report = [...this.nodes.values()].map(
        (node) =>
          `--- ${node.id} (${node.service.process.isRunning() ? 'running' : 'exited'})\n${node.service.process.logs().split('\n').slice(-15).join('\n')}`,
      );
      throw new Error(`${(error as Error).message}\n${report.join('\n')}`);
    }
  }

  /**
   * An idempotent request (configure, status, get) retried while it fails for a passing reason —
   * a link dropped by a busy machine, a node catching up — within `timeoutMs`.
   */
  async request<T>(id: string, method: string, body: unknown, timeoutMs = 15_000): Promise<T> {
    const giveUpAt = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await this.node(id).link.request<T>(method, body, { timeoutMs: 5_000 });
      } catch (error) {
        const starError = StarError.from(error);
        if (!starError.retryable || Date.now() > giveUpAt) throw starError;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  async status(id: string): Promise<NodeStatus> {
    return this.node(id).link.request<NodeStatus>(ChainMethods.status, {}, { timeoutMs: 5_000 });
  }

  async stop(): Promise<void> {
    for (const node of this.nodes.values()) {
      node.link.close();
      node.service.process.resume();
      await node.service.process.stop(5_000);
    }
    await this.#redis.stop();
    await this.#dir.cleanup();
  }
}
