import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type RedisServer, startRedis } from '../redis-server.js';
import { SentinelTopology, type SentinelTopologyOptions } from '../sentinel-topology.js';
import { type TempDir, tempDir } from '../temp-dir.js';
import { waitFor } from '../wait-for.js';
import { type RunningService, type ServiceHost, startService } from './service-launcher.js';

export interface StarClusterOptions {
  managers: number;
  nodes: number;
  /** Checkpointer processes `c1..` (default 0). */
  checkpointers?: number;
  /** Node read lease; managers are told the same value. */
  nodeLeaseMs?: number;
  managerLeaseMs?: number;
  /** Worker group of each node by index (default: all `default`). */
  groups?: (index: number) => string;
  env?: Record<string, string>;
  /** STAR_ADMIN_KEY of every service; default a fresh random key, so auth is on; '' turns auth off. */
  adminKey?: string;
  /**
   * Run the control plane as a Sentinel topology (a primary, replicas, sentinels) instead of one
   * redis-server; every service then follows the primary through the sentinels.
   */
  sentinel?: SentinelTopologyOptions;
  /**
   * The network lab host each service runs on, by id (`redis`, `m1`, `n1`, `g1`, `c1`, ...):
   * undefined (the default) runs it here on 127.0.0.1.
   */
  placement?: (id: string) => ServiceHost | undefined;
}

/**
 * A whole control plane for tests: a redis-server, manager processes and node processes that
 * register themselves, plus helpers for the manager's REST API. Names are `m1..`, `n1..`.
 * Auth is on: every service gets the cluster's `adminKey`, which `api()` and `leader()` send.
 */
export class StarCluster {
  readonly managers = new Map<string, RunningService>();
  readonly nodes = new Map<string, RunningService>();
  readonly gateways = new Map<string, RunningService>();
  readonly checkpointers = new Map<string, RunningService>();
  readonly options: Required<
    Omit<StarClusterOptions, 'groups' | 'env' | 'adminKey' | 'checkpointers' | 'sentinel' | 'placement'>
  > &
    Pick<StarClusterOptions, 'groups' | 'env' | 'placement'>;
  /** The bootstrap admin key (scope `*`) every service of this cluster was started with. */
  readonly adminKey: string;
  #redis!: RedisServer;
  #sentinel: SentinelTopology | undefined;
  #dir!: TempDir;

  private constructor(options: StarClusterOptions) {
    const { adminKey, sentinel: _sentinel, ...rest } = options;
    this.options = { nodeLeaseMs: 1_500, managerLeaseMs: 1_500, ...rest };
    this.adminKey = adminKey ?? `star-test-admin-${randomBytes(24).toString('base64url')}`;
  }

  /** `Authorization` with the admin key (none when auth is off), for calls that bypass `api()`. */
  get authHeaders(): Record<string, string> {
    return this.adminKey === '' ? {} : { authorization: `Bearer ${this.adminKey}` };
  }

  static async start(options: StarClusterOptions): Promise<StarCluster> {
    const cluster = new StarCluster(options);
    const redisHost = options.placement?.('redis');
    if (options.sentinel) {
      // On lab hosts: a data node (and a sentinel beside it) on each of `redis`, `redis2`, ...
      const dataNodes = 1 + (options.sentinel.replicas ?? 2);
      const hosts = Array.from({ length: dataNodes }, (_, i) => options.placement?.(redisHostName(i)));
      cluster.#sentinel = await SentinelTopology.start({
        ...options.sentinel,
        ...(hosts.every((host) => host !== undefined) && { hosts }),
      });
      cluster.#redis = await cluster.#sentinel.primary();
    } else cluster.#redis = await startRedis({ appendOnly: true, ...(redisHost && { host: redisHost }) });
    cluster.#dir = tempDir('star-cluster-');
    await Promise.all(Array.from({ length: options.managers }, (_, i) => cluster.startManager(`m${i + 1}`)));
    await Promise.all(Array.from({ length: options.nodes }, (_, i) => cluster.startNode(`n${i + 1}`)));
    await Promise.all(
      Array.from({ length: options.checkpointers ?? 0 }, (_, i) => cluster.startCheckpointer(`c${i + 1}`)),
    );
    return cluster;
  }

  /** The image store every process of the cluster shares (manager images, shard snapshots). */
  get imageDir(): string {
    return join(this.#dir.path, 'images');
  }

  /** Where node `id` keeps its shard databases. */
  dataDirOf(id: string): string {
    return join(this.#dir.path, id);
  }

  /** Starts checkpointer `id` (`c1..`); `env` adds or overrides settings for this one. */
  async startCheckpointer(id: string, env: Record<string, string> = {}): Promise<RunningService> {
    const previous = this.checkpointers.get(id);
    const service = await startService(
      'checkpointer',
      {
        STAR_ADMIN_KEY: this.adminKey,
        ...this.options.env,
        ...this.#redisEnv(),
        STAR_INSTANCE_ID: id,
        STAR_IMAGE_DIR: this.imageDir,
        ...env,
      },
      { port: previous?.port, host: this.options.placement?.(id) },
    );
    this.checkpointers.set(id, service);
    return service;
  }

  /** The control plane's redis-server; with `sentinel`, the primary at start (see `sentinel`). */
  get redis(): RedisServer {
    return this.#redis;
  }

  /** The Sentinel topology, when the cluster was started with `sentinel`. */
  get sentinel(): SentinelTopology | undefined {
    return this.#sentinel;
  }

  #redisEnv(): Record<string, string> {
    return this.#sentinel ? this.#sentinel.env : { STAR_REDIS_URL: this.#redis.url };
  }

  async startManager(id: string, env: Record<string, string> = {}): Promise<RunningService> {
    const previous = this.managers.get(id);
    const service = await startService(
      'manager',
      {
        STAR_ADMIN_KEY: this.adminKey,
        ...this.options.env,
        ...this.#redisEnv(),
        STAR_MANAGER_ID: id,
        STAR_INSTANCE_ID: id,
        STAR_MANAGER_LEASE_MS: String(this.options.managerLeaseMs),
        STAR_NODE_LEASE_MS: String(this.options.nodeLeaseMs),
        STAR_DEAD_MARGIN_MS: '300',
        STAR_CHECK_EVERY_MS: '100',
        STAR_IMAGE_DIR: this.imageDir,
        ...env,
      },
      { port: previous?.port, host: this.options.placement?.(id) },
    );
    this.managers.set(id, service);
    return service;
  }

  /**
   * Starts (or restarts, on its old port) node `id`. `env` adds or overrides settings (say a Redis
   * URL or advertised address through a fault proxy); `port` fixes the port of a first start.
   */
  async startNode(
    id: string,
    options: { env?: Record<string, string>; port?: number } = {},
  ): Promise<RunningService> {
    const previous = this.nodes.get(id);
    const index = Number(id.slice(1)) - 1;
    const service = await startService(
      'node',
      {
        STAR_ADMIN_KEY: this.adminKey,
        ...this.options.env,
        ...this.#redisEnv(),
        STAR_NODE_ID: id,
        STAR_INSTANCE_ID: id,
        STAR_DATA_DIR: this.dataDirOf(id),
        STAR_IMAGE_DIR: this.imageDir,
        STAR_GROUP: this.options.groups?.(index) ?? 'default',
        STAR_LEASE_MS: String(this.options.nodeLeaseMs),
        STAR_LEASE_RENEW_MS: String(Math.max(50, Math.floor(this.options.nodeLeaseMs / 5))),
        ...options.env,
      },
      { port: previous?.port ?? options.port, host: this.options.placement?.(id) },
    );
    this.nodes.set(id, service);
    return service;
  }

  /** Starts (or restarts, on its old port) a gateway `g1..` following every manager. */
  async startGateway(id = 'g1', env: Record<string, string> = {}): Promise<RunningService> {
    const previous = this.gateways.get(id);
    const service = await startService(
      'gateway',
      {
        STAR_ADMIN_KEY: this.adminKey,
        ...this.options.env,
        ...this.#redisEnv(),
        STAR_INSTANCE_ID: id,
        STAR_MANAGERS: [...this.managers.values()].map((manager) => manager.url).join(','),
        ...env,
      },
      { port: previous?.port, host: this.options.placement?.(id) },
    );
    this.gateways.set(id, service);
    return service;
  }

  /** Manager URLs, for clients that follow the shard map. */
  get managerUrls(): string[] {
    return [...this.managers.values()].map((manager) => manager.url);
  }

  /** The manager that currently leads, waiting for one if needed. */
  async leader(timeoutMs = 15_000): Promise<{ id: string; url: string }> {
    return waitFor(
      async () => {
        for (const [id, manager] of this.managers) {
          if (!manager.process.isRunning()) continue;
          const response = await fetch(`${manager.url}/v1/leader`, {
            headers: this.authHeaders,
            signal: AbortSignal.timeout(1_000),
          }).catch(() => undefined);
          if (response?.ok && ((await response.json()) as { isLeader: boolean }).isLeader)
            return { id, url: manager.url };
        }
        return undefined;
      },
      { description: 'a manager to lead', timeoutMs },
    );
  }

  /** A JSON call to a manager's REST API; throws with the status and body unless 2xx. */
  async api<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...this.authHeaders,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (!response.ok)
      throw Object.assign(new Error(`${method} ${path}: ${response.status} ${text}`), {
        status: response.status,
        body: text,
      });
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Waits until the leader has journaled every started node as alive. */
  async waitForNodes(count = this.nodes.size, timeoutMs = 15_000): Promise<void> {
    await waitFor(
      async () => {
        const { url } = await this.leader();
        const { nodes } = await this.api<{ nodes: { state: string }[] }>(url, 'GET', '/v1/nodes');
        return nodes.filter((node) => node.state === 'alive').length >= count;
      },
      { description: `${count} nodes to register`, timeoutMs },
    );
  }

  async stop(): Promise<void> {
    for (const service of [
      ...this.gateways.values(),
      ...this.checkpointers.values(),
      ...this.nodes.values(),
      ...this.managers.values(),
    ]) {
      service.process.resume();
      await service.process.stop(5_000);
    }
    if (this.#sentinel) await this.#sentinel.stop();
    else await this.#redis.stop();
    await this.#dir.cleanup();
  }
}

/** The lab host name of Redis data node `index` (0: `redis`, then `redis2`, `redis3`, ...). */
export function redisHostName(index: number): string {
  return index === 0 ? 'redis' : `redis${index + 1}`;
}
