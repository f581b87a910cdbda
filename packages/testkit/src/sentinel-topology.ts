import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { ServiceHost } from './cluster/service-launcher.js';
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
  /**
   * Network lab hosts: data node i (0 = the first primary) runs on `hosts[i]`, and sentinel i beside
   * it on `hosts[i % hosts.length]` (a sentinel per Redis machine, as deployments have it). Empty
   * (the default): everything on 127.0.0.1 here.
   */
  hosts?: ServiceHost[];
}

/** Where one process runs: an address, and the namespace when it is a lab host. */
interface Placement {
  address: string;
  host: ServiceHost | undefined;
}

/** One sentinel process; `redis-server <conf> --sentinel` (the same binary as Debian's redis-sentinel). */
interface SentinelProcess {
  address: string;
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
      hosts: [],
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

  /** Data node or sentinel `index`'s place. */
  #placement(index: number): Placement {
    const { hosts } = this.options;
    const host = hosts.length === 0 ? undefined : hosts[index % hosts.length];
    return { address: host?.address ?? '127.0.0.1', host };
  }

  async #start(): Promise<void> {
    this.#dir = tempDir('star-sentinel-');
    const appendOnly = this.options.appendOnly;
    const on = (index: number) => {
      const { host } = this.#placement(index);
      return host === undefined ? {} : { host };
    };
    const primary = await startRedis({ appendOnly, ...on(0) });
    this.servers.set(primary.port, primary);
    const replicas = await Promise.all(
      Array.from({ length: this.options.replicas }, (_, i) =>
        startRedis({
          appendOnly,
          ...on(i + 1),
          args: ['--replicaof', primary.address, String(primary.port)],
        }),
      ),
    );
    for (const replica of replicas) this.servers.set(replica.port, replica);
    await waitFor(async () => (await this.#connectedReplicas(primary)) >= this.options.replicas, {
      description: 'the replicas to sync with the primary',
      timeoutMs: 15_000,
    });
    const binary = await ensureRedisServer();
    for (let i = 0; i < this.options.sentinels; i++) {
      this.#sentinels.push(await this.#startSentinel(binary, i, primary));
    }
    await waitFor(async () => (await this.#sentinelView()).replicas >= this.options.replicas, {
      description: 'the sentinels to discover the replicas',
      timeoutMs: 15_000,
    });
  }

  async #startSentinel(binary: string, index: number, primary: RedisServer): Promise<SentinelProcess> {
    const port = await freePort();
    const { address, host } = this.#placement(index);
    const conf = join(this.#dir.path, `sentinel-${index}.conf`);
    const quorum = Math.floor(this.options.sentinels / 2) + 1;
    writeFileSync(
      conf,
      [
        `port ${port}`,
        `bind ${address}`,
        // On a lab host, services and peers come from other hosts, which protected mode refuses.
        ...(host === undefined ? [] : ['protected-mode no']),
        `dir ${this.#dir.path}`,
        `sentinel monitor ${this.master} ${primary.address} ${primary.port} ${quorum}`,
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
      ...(host && { netns: host.namespace }),
    });
    await waitFor(async () => process.isRunning() && (await pingRedis(port, 500, address)), {
      description: `sentinel on port ${port} to answer PING`,
      timeoutMs: 15_000,
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n${process.logs()}`);
    });
    return { address, port, process };
  }

  /** `host:port,host:port` of the sentinels, as `STAR_REDIS_SENTINELS` wants it. */
  get sentinelList(): string {
    return this.#sentinels.map((s) => `${s.address}:${s.port}`).join(',');
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

  /**
   * The port most answering sentinels name as primary now. A sentinel cut off from the others (a
   * partition) keeps naming the old primary, so one answer is not enough.
   */
  async primaryPort(): Promise<number> {
    const votes = new Map<number, number>();
    await Promise.all(
      this.#sentinels
        .filter((sentinel) => sentinel.process.isRunning())
        .map(async (sentinel) => {
          const client = this.#sentinelClient(sentinel);
          try {
            const reply = (await client.call('SENTINEL', 'get-master-addr-by-name', this.master)) as
              | string[]
              | null;
            if (reply) votes.set(Number(reply[1]), (votes.get(Number(reply[1])) ?? 0) + 1);
          } catch {
            // no answer from this one
          } finally {
            client.disconnect();
          }
        }),
    );
    const [best] = [...votes].sort((a, b) => b[1] - a[1]);
    if (best === undefined) throw new Error('no sentinel answered with a primary');
    return best[0];
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
    return redisRole(port, 500, this.servers.get(port)?.address);
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

  /**
   * Waits until the current primary has `replicas` replicas streaming from it and the sentinels
   * know them: after a failover the other replicas are moved over one by one, and a primary killed
   * before then may have no replica the sentinels can promote.
   */
  async waitForReplicas(replicas: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () =>
        (await this.#connectedReplicas(await this.primary())) >= replicas &&
        (await this.#sentinelView()).replicas >= replicas,
      { description: `${replicas} replicas streaming from the primary, known to the sentinels`, timeoutMs },
    );
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
      sentinels: this.#sentinels.map((s) => ({ host: s.address, port: s.port })),
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

  #sentinelClient(sentinel: SentinelProcess): Redis {
    const client = new Redis({
      host: sentinel.address,
      port: sentinel.port,
      maxRetriesPerRequest: 0,
      connectTimeout: 500,
    });
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
    const client = this.#sentinelClient(sentinel);
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
