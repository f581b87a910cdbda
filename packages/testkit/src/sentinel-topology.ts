import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { ensureRedisServer } from './redis-binary.js';
import { pingRedis } from './redis-ping.js';
import { redisRole } from './redis-role.js';
import { type RedisServer, startRedis } from './redis-server.js';
import { type ServiceProcess, startProcess } from './service-process.js';
import { type TempDir, tempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

export interface SentinelTopologyOptions {
  /** Sentinel master name (default `star`). */
  master?: string;
  replicas?: number;
  sentinels?: number;
  /** How long a primary may be silent before a sentinel calls it down (default 1000 ms). */
  downAfterMs?: number;
  /** Sentinel's failover-timeout (default 5000 ms). */
  failoverTimeoutMs?: number;
  /** `appendfsync always` on every data node (default true), so a restarted one keeps its data. */
  appendOnly?: boolean;
}

/** One sentinel process; `redis-server <conf> --sentinel` (the same binary as Debian's redis-sentinel). */
interface SentinelProcess {
  port: number;
  process: ServiceProcess;
}

/**
 * A highly available control plane for tests: a primary, replicas and sentinels (real redis-server
 * processes, the sentinels as `redis-server --sentinel`, which is what Debian's `redis-sentinel`
 * package links), each on a free port of 127.0.0.1 in its own temp dir. Helpers say which data
 * node is primary now, kill it like a crash, and wait for Sentinel to promote another.
 */
export class SentinelTopology {
  readonly master: string;
  /** Every data node ever started, by port; the primary is whichever the sentinels name. */
  readonly servers = new Map<number, RedisServer>();
  readonly #sentinels: SentinelProcess[] = [];
  readonly #clients = new Set<Redis>();
  #dir!: TempDir;

  private constructor(private readonly options: Required<SentinelTopologyOptions>) {
    this.master = options.master;
  }

  static async start(options: SentinelTopologyOptions = {}): Promise<SentinelTopology> {
    const topology = new SentinelTopology({
      master: 'star',
      replicas: 2,
      sentinels: 3,
      downAfterMs: 1_000,
      failoverTimeoutMs: 5_000,
      appendOnly: true,
      ...options,
    });
    try {
      await topology.#start();
    } catch (error) {
      await topology.stop();
      throw error;
    }
    return topology;
  }

  async #start(): Promise<void> {
    this.#dir = tempDir('star-sentinel-');
    const appendOnly = this.options.appendOnly;
    const primary = await startRedis({ appendOnly });
    this.servers.set(primary.port, primary);
    const replicas = await Promise.all(
      Array.from({ length: this.options.replicas }, () =>
        startRedis({ appendOnly, args: ['--replicaof', '127.0.0.1', String(primary.port)] }),
      ),
    );
    for (const replica of replicas) this.servers.set(replica.port, replica);
    await waitFor(async () => (await this.#connectedReplicas(primary)) >= this.options.replicas, {
      description: 'the replicas to sync with the primary',
      timeoutMs: 15_000,
    });
    const binary = await ensureRedisServer();
    for (let i = 0; i < this.options.sentinels; i++) {
      this.#sentinels.push(await this.#startSentinel(binary, i, primary.port));
    }
    await waitFor(async () => (await this.#sentinelView()).replicas >= this.options.replicas, {
      description: 'the sentinels to discover the replicas',
      timeoutMs: 15_000,
    });
  }

  async #startSentinel(binary: string, index: number, primaryPort: number): Promise<SentinelProcess> {
    const port = await freePort();
    const conf = join(this.#dir.path, `sentinel-${index}.conf`);
    const quorum = Math.floor(this.options.sentinels / 2) + 1;
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${this.#dir.path}`,
        `sentinel monitor ${this.master} 127.0.0.1 ${primaryPort} ${quorum}`,
        `sentinel down-after-milliseconds ${this.master} ${this.options.downAfterMs}`,
        `sentinel failover-timeout ${this.master} ${this.options.failoverTimeoutMs}`,
        `sentinel parallel-syncs ${this.master} 1`,
        '',
      ].join('\n'),
    );
    const process = startProcess({
      name: `sentinel-${port}`,
      command: binary,
      args: [conf, '--sentinel', '--daemonize', 'no', '--logfile', ''],
    });
    await waitFor(async () => process.isRunning() && (await pingRedis(port)), {
      description: `sentinel on port ${port} to answer PING`,
      timeoutMs: 15_000,
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n${process.logs()}`);
    });
    return { port, process };
  }

  /** `host:port,host:port` of the sentinels, as `STAR_REDIS_SENTINELS` wants it. */
  get sentinelList(): string {
    return this.#sentinels.map((s) => `127.0.0.1:${s.port}`).join(',');
  }

  get sentinelPorts(): number[] {
    return this.#sentinels.map((s) => s.port);
  }

  /** What every service needs to follow the primary (the URL is only where a password would go). */
  get env(): { STAR_REDIS_URL: string; STAR_REDIS_SENTINELS: string; STAR_REDIS_MASTER: string } {
    return {
      STAR_REDIS_URL: 'redis://127.0.0.1:6379',
      STAR_REDIS_SENTINELS: this.sentinelList,
      STAR_REDIS_MASTER: this.master,
    };
  }

  /** The port the sentinels currently name as primary (asks them in turn; one answer is enough). */
  async primaryPort(): Promise<number> {
    for (const sentinel of this.#sentinels) {
      if (!sentinel.process.isRunning()) continue;
      const client = this.#sentinelClient(sentinel.port);
      try {
        const reply = (await client.call('SENTINEL', 'get-master-addr-by-name', this.master)) as
          | string[]
          | null;
        if (reply) return Number(reply[1]);
      } catch {
        // try the next sentinel
      } finally {
        client.disconnect();
      }
    }
    throw new Error('no sentinel answered with a primary');
  }

  /** The data node the sentinels name as primary now. */
  async primary(): Promise<RedisServer> {
    const port = await this.primaryPort();
    const server = this.servers.get(port);
    if (!server) throw new Error(`sentinels name port ${port}, which this topology did not start`);
    return server;
  }

  /** Which role a data node reports itself (`master`, `slave`), or `down`. */
  roleOf(port: number): Promise<string> {
    return redisRole(port, 500);
  }

  /** kill -9 the current primary; returns its port. */
  async killPrimary(): Promise<number> {
    const primary = await this.primary();
    await primary.kill();
    return primary.port;
  }

  /** SIGSTOP the current primary (it keeps its connections and, once resumed, takes writes until demoted). */
  async pausePrimary(): Promise<RedisServer> {
    const primary = await this.primary();
    primary.pause();
    return primary;
  }

  /** Waits until the sentinels name a primary other than `oldPort` and it says it is master. */
  async waitForPromotion(oldPort: number, timeoutMs = 30_000): Promise<number> {
    return waitFor(
      async () => {
        const port = await this.primaryPort().catch(() => undefined);
        if (port === undefined || port === oldPort) return false;
        return (await this.roleOf(port)) === 'master' ? port : false;
      },
      {
        description: `sentinel to promote a replica in place of port ${oldPort}`,
        timeoutMs,
        intervalMs: 100,
      },
    );
  }

  /** A sentinel-aware client of the current primary, closed by stop(). */
  client(): Redis {
    const client = new Redis({
      sentinels: this.#sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
      name: this.master,
      maxRetriesPerRequest: 5,
      sentinelRetryStrategy: () => 200,
    });
    client.on('error', () => {});
    client.once('end', () => this.#clients.delete(client));
    this.#clients.add(client);
    return client;
  }

  async stop(): Promise<void> {
    for (const client of this.#clients) client.disconnect();
    await Promise.all(this.#sentinels.map((s) => s.process.stop()));
    await Promise.all([...this.servers.values()].map((server) => server.stop()));
    await this.#dir?.cleanup();
  }

  #sentinelClient(port: number): Redis {
    const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, connectTimeout: 500 });
    client.on('error', () => {});
    return client;
  }

  async #connectedReplicas(primary: RedisServer): Promise<number> {
    const client = primary.client();
    try {
      const info = String(await client.info('replication'));
      return [...info.matchAll(/^slave\d+:.*state=online/gm)].length;
    } finally {
      client.disconnect();
    }
  }

  async #sentinelView(): Promise<{ replicas: number }> {
    const sentinel = this.#sentinels[0];
    if (!sentinel) return { replicas: 0 };
    const client = this.#sentinelClient(sentinel.port);
    try {
      const replicas = (await client.call('SENTINEL', 'replicas', this.master)) as unknown[];
      return { replicas: replicas.length };
    } catch {
      return { replicas: 0 };
    } finally {
      client.disconnect();
    }
  }
}
