import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { NodeStatus, Shard } from '@star/protocol';
import {
  type CutMode,
  completeGrudge,
  freePort,
  NetworkLab,
  netlabUnavailableReason,
  type RedisServer,
  type RunningService,
  redisHostName,
  StarCluster,
  TcpProxy,
  waitFor,
} from '@star/testkit';
import { FailpointControl } from './failpoint-control.js';
import { headBalanceProblem } from './head-balance.js';

export interface FaultClusterOptions {
  managers: number;
  nodes: number;
  shards: number;
  replicationFactor: number;
  namespace: string;
  nodeLeaseMs: number;
  managerLeaseMs: number;
  /** Extra environment (say a fake clock's): of every service, and of one node on top. */
  env?: { services?: Record<string, string>; node?: (id: string) => Record<string, string> };
  /** Runs before a node's first start, with its data dir (say to mount a tmpfs there). */
  prepareDataDir?: (id: string, dataDir: string) => void;
  /**
   * `hosts` (the default where the network lab can run): every service on its own network
   * namespace host, faults as firewall rules; `proxies`: all on 127.0.0.1, nodes behind TCP proxies.
   */
  network?: FaultNetwork;
  /**
   * Redis as a Sentinel topology (a data node and a sentinel on each of the hosts `redis`,
   * `redis2`, `redis3`). Default: `STAR_FAULTS_SENTINEL` (`1` on, `0` off), else on with hosts.
   */
  sentinel?: boolean;
}

export type FaultNetwork = 'hosts' | 'proxies';

/** How a cut connection fails: `refuse` (resets, at once) or `blackhole` (packets vanish). */
export type NetworkCutMode = 'refuse' | 'blackhole';

const cutModes: Record<NetworkCutMode, CutMode> = { refuse: 'reject', blackhole: 'drop' };

/**
 * `proxies` when STAR_FAULTS_NETWORK=proxies asks for it; else `hosts` when this machine can build
 * namespaced hosts; otherwise `proxies`, said loudly, and a
 * failure under CI (which has root: a missing lab there is a broken machine, not a reason to skip).
 */
export async function defaultFaultNetwork(): Promise<FaultNetwork> {
  // Chosen explicitly (to compare with the old wiring, or to run without root on purpose).
  if (process.env.STAR_FAULTS_NETWORK === 'proxies') return 'proxies';
  const reason = await netlabUnavailableReason();
  if (reason === undefined) return 'hosts';
  const message = `FAULT SUITE CANNOT RUN ON NAMESPACED HOSTS: ${reason}; falling back to TCP proxies, WITHOUT the partition nemeses`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n${'!'.repeat(80)}\n${message}\n${'!'.repeat(80)}\n`);
  return 'proxies';
}

/** The proxies one node is reached through and reaches Redis through. */
export interface NodeProxies {
  /** Peers, managers, clients and the gateway dial the node here (its advertised address). */
  inbound: TcpProxy;
  /** The node's only way to Redis (its `STAR_REDIS_URL`). */
  redis: TcpProxy;
}

/** How long a heal took: chains whole (RF, at term, caught up), then heads even as well. */
export interface HealTimes {
  wholeMs: number;
  balancedMs: number;
}

/**
 * The cluster the fault suite runs against: a StarCluster (Redis with AOF, managers, a checkpointer,
 * a gateway). On `hosts` every service (Redis `redis`, managers `m1..`, nodes `n1..`, gateway `g1`,
 * checkpointer `c1`) runs on its own network lab host, and network faults are the lab's firewall
 * rules and netem shapes between hosts; on `proxies` (no root) each node is wired through two TCP
 * proxies, which can cut a node from Redis or cut connections dialed to it, and nothing more.
 * Either way every process keeps running through a network fault. Every service has the cluster
 * secret, so nemeses can arm failpoints at run time.
 */
export class FaultCluster {
  readonly cluster: StarCluster;
  readonly options: FaultClusterOptions;
  readonly proxies = new Map<string, NodeProxies>();
  readonly clusterSecret: string;
  readonly failpoints: FailpointControl;
  /** The hosts every service runs on (`hosts` network only). */
  readonly lab: NetworkLab | undefined;
  #gateway!: RunningService;

  private constructor(
    cluster: StarCluster,
    options: FaultClusterOptions,
    clusterSecret: string,
    lab: NetworkLab | undefined,
  ) {
    this.cluster = cluster;
    this.options = options;
    this.clusterSecret = clusterSecret;
    this.failpoints = new FailpointControl(clusterSecret);
    this.lab = lab;
  }

  static async start(options: FaultClusterOptions): Promise<FaultCluster> {
    const clusterSecret = `star-faults-${randomBytes(18).toString('base64url')}`;
    const network = options.network ?? (await defaultFaultNetwork());
    const sentinel = options.sentinel ?? sentinelWanted(network);
    const lab =
      network === 'hosts' ? await NetworkLab.start({ hosts: hostNames(options, sentinel) }) : undefined;
    const cluster = await StarCluster.start({
      ...(lab && { placement: (id: string) => lab.hosts.get(id) }),
      managers: options.managers,
      nodes: 0,
      checkpointers: 1,
      nodeLeaseMs: options.nodeLeaseMs,
      managerLeaseMs: options.managerLeaseMs,
      // Redis as a Sentinel topology (a primary, two replicas, three sentinels), for sentinel-nemeses.ts.
      ...(sentinel ? { sentinel: {} } : {}),
      env: {
        ...options.env?.services,
        // A short job lock so a killed checkpointer's job is taken over within seconds, and paced
        // snapshot writes so a job is still running when the nemesis kills its worker.
        STAR_LOCK_DURATION_MS: '1500',
        STAR_WRITE_BYTES_PER_SEC: '200000',
        STAR_CLUSTER_SECRET: clusterSecret,
      },
    }).catch(async (error: unknown) => {
      await lab?.stop();
      throw error;
    });
    const faults = new FaultCluster(cluster, options, clusterSecret, lab);
    try {
      await Promise.all(Array.from({ length: options.nodes }, (_, i) => faults.#startFirstNode(`n${i + 1}`)));
      await cluster.waitForNodes(options.nodes);
      const { url } = await cluster.leader();
      await cluster.api(url, 'POST', '/v1/namespaces', {
        name: options.namespace,
        shards: options.shards,
        replicationFactor: options.replicationFactor,
      });
      faults.#gateway = await cluster.startGateway('g1');
      return faults;
    } catch (error) {
      await faults.stop();
      throw error;
    }
  }

  async #startFirstNode(id: string): Promise<void> {
    this.options.prepareDataDir?.(id, this.dataDirOf(id));
    if (this.lab !== undefined) {
      await this.cluster.startNode(id, { env: this.#nodeEnv(id) });
      return;
    }
    const port = await freePort();
    const inbound = await TcpProxy.start({ target: { port }, name: `${id}-inbound` });
    const redis = await TcpProxy.start({ target: { port: this.cluster.redis.port }, name: `${id}-redis` });
    this.proxies.set(id, { inbound, redis });
    await this.cluster.startNode(id, { env: this.#nodeEnv(id), port });
  }

  /** A node's own environment: its proxies (on the proxy network) and what the options add. */
  #nodeEnv(id: string): Record<string, string> {
    const proxies = this.proxies.get(id);
    return {
      ...(proxies && {
        STAR_REDIS_URL: `redis://${proxies.redis.address}`,
        STAR_ADVERTISE_ADDRESS: proxies.inbound.address,
      }),
      ...this.options.env?.node?.(id),
    };
  }

  /** Restarts node `id` on its port, data dir and proxies (after a kill or a stop). */
  async restartNode(id: string): Promise<void> {
    await this.cluster.startNode(id, { env: this.#nodeEnv(id) });
  }

  /** Where node `id` keeps its shard databases (`shard-<id>.sqlite`). */
  dataDirOf(id: string): string {
    return this.cluster.dataDirOf(id);
  }

  /** The network the services run on. */
  get network(): FaultNetwork {
    return this.lab === undefined ? 'proxies' : 'hosts';
  }

  /** The hosts Redis runs on: `redis`, and with Sentinel `redis2`, `redis3` (each with a sentinel). */
  get redisHosts(): string[] {
    const dataNodes = this.cluster.sentinel === undefined ? 1 : this.cluster.sentinel.servers.size;
    return Array.from({ length: dataNodes }, (_, i) => redisHostName(i));
  }

  /** Every Redis data node: the only one, or the Sentinel topology's primary and replicas. */
  get redisServers(): RedisServer[] {
    return this.cluster.sentinel === undefined
      ? [this.cluster.redis]
      : [...this.cluster.sentinel.servers.values()];
  }

  /** The Redis that takes writes now: the only one, or the primary the sentinels name. */
  async redisPrimary(): Promise<RedisServer> {
    return this.cluster.sentinel === undefined ? this.cluster.redis : this.cluster.sentinel.primary();
  }

  /** The lab, for nemeses that need hosts; throws (naming the nemesis) on the proxy network. */
  requireLab(nemesis: string): NetworkLab {
    if (this.lab === undefined) throw new Error(`${nemesis} needs namespaced hosts (the network lab)`);
    return this.lab;
  }

  /** Cuts node `id` from Redis, both ways, while both keep running (heal with `healNetwork`). */
  async cutNodeFromRedis(id: string, mode: NetworkCutMode): Promise<void> {
    if (this.lab !== undefined) {
      await this.lab.rules.partition(completeGrudge([[id], this.redisHosts]), cutModes[mode]);
      return;
    }
    const proxy = this.proxies.get(id)!.redis;
    proxy[mode]();
  }

  /** Cuts every connection dialed to node `id` (peers, managers, gateway, clients, harness). */
  async cutInbound(id: string, mode: NetworkCutMode): Promise<void> {
    if (this.lab !== undefined) {
      await this.lab.rules.cutInbound(id, this.node(id).port, cutModes[mode]);
      return;
    }
    this.proxies.get(id)!.inbound[mode]();
  }

  /** Removes every network fault: the lab's rules and shapes, or the proxies' cuts. */
  async healNetwork(): Promise<void> {
    await this.lab?.heal();
    for (const { inbound, redis } of this.proxies.values()) {
      inbound.heal();
      redis.heal();
    }
  }

  get gateway(): RunningService {
    return this.#gateway;
  }

  get nodeIds(): string[] {
    return [...this.cluster.nodes.keys()];
  }

  node(id: string): RunningService {
    const node = this.cluster.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** The namespace's shards as the leader (or, without one, any manager) has them. */
  async shards(): Promise<Shard[]> {
    const errors: string[] = [];
    for (const manager of this.cluster.managers.values()) {
      if (!manager.process.isRunning()) continue;
      try {
        const { shards } = await this.cluster.api<{ shards: Shard[] }>(
          manager.url,
          'GET',
          `/v1/shards?namespace=${this.options.namespace}`,
        );
        return shards;
      } catch (error) {
        errors.push((error as Error).message);
      }
    }
    throw new Error(`no manager answered /v1/shards: ${errors.join('; ')}`);
  }

  /** A node's `/status`, straight to its port (not through its proxy). */
  async nodeStatus(id: string): Promise<NodeStatus> {
    const response = await fetch(`${this.node(id).url}/status`, { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) throw new Error(`${id} /status: ${response.status}`);
    return (await response.json()) as NodeStatus;
  }

  /**
   * Waits until the cluster is whole again: every process up, one leader, every node alive, every
   * shard's chain at its replication factor with every member at the chain's term and the tail
   * holding everything the head had committed when the check began; and then until heads are
   * within one of even over the alive nodes (DESIGN §3.14: write work spreads again after churn).
   * Only then may the next fault strike: a shard still catching up holds some acknowledged writes
   * on fewer than RF replicas. Returns how long each half took; on timeout the error says which
   * half was missing and the last problem seen.
   */
  async waitHealthy(timeoutMs: number): Promise<HealTimes> {
    const started = performance.now();
    let wholeMs: number | undefined;
    // What the last probe that finished found (a probe cut off by the deadline changes nothing).
    let last: { text: string; chainsWhole: boolean } | undefined;
    const probe = async () => {
      const chains = await this.#healthProblem().catch((e: unknown) => (e as Error).message);
      if (chains !== undefined) return { text: chains, chainsWhole: false };
      wholeMs ??= Math.round(performance.now() - started);
      const heads = headBalanceProblem(await this.shards(), this.nodeIds);
      return heads === undefined ? undefined : { text: heads, chainsWhole: true };
    };
    await waitFor(
      async () => {
        last = await probe();
        return last === undefined;
      },
      {
        description: 'the cluster to heal (every chain at RF, caught up, heads even)',
        timeoutMs,
        intervalMs: 250,
      },
    ).catch((error: unknown) => {
      const half = last?.chainsWhole
        ? `chains whole (first after ${wholeMs} ms), heads not even within ${timeoutMs} ms`
        : `chains not whole${wholeMs === undefined ? '' : ` (though they were after ${wholeMs} ms)`}`;
      throw new Error(`${(error as Error).message}\n${half}; last problem: ${last?.text}`);
    });
    return { wholeMs: wholeMs ?? 0, balancedMs: Math.round(performance.now() - started) };
  }

  async #healthProblem(): Promise<string | undefined> {
    for (const [id, service] of [...this.cluster.nodes, ...this.cluster.managers]) {
      if (!service.process.isRunning()) return `${id} is not running`;
    }
    const { url } = await this.cluster.leader(2_000);
    const { nodes } = await this.cluster.api<{ nodes: { id: string; state: string }[] }>(
      url,
      'GET',
      '/v1/nodes',
    );
    const notAlive = nodes.filter((node) => node.state !== 'alive');
    if (notAlive.length > 0)
      return `nodes not alive: ${notAlive.map((n) => `${n.id}=${n.state}`).join(', ')}`;
    const shards = await this.shards();
    const statuses = new Map<string, NodeStatus>();
    const status = async (id: string) => {
      const known = statuses.get(id) ?? (await this.nodeStatus(id));
      statuses.set(id, known);
      return known;
    };
    for (const shard of shards) {
      if (shard.chain.length !== this.options.replicationFactor) {
        return `shard ${shard.id} has chain [${shard.chain.join(',')}]`;
      }
      const where = `shard ${shard.id} (journal: [${shard.chain.join(',')}] at term ${shard.term})`;
      const head = (await status(shard.chain[0]!)).shards.find((s) => s.shard === shard.id);
      if (head === undefined || head.term !== shard.term) {
        return `head ${shard.chain[0]} of ${where} ${head === undefined ? 'holds no replica' : `runs term ${head.term} [${head.chain.join(',')}]`}`;
      }
      for (const member of shard.chain) {
        const replica = (await status(member)).shards.find((s) => s.shard === shard.id);
        if (replica?.term !== shard.term) {
          return `${member} of ${where} ${replica === undefined ? 'holds no replica' : `runs term ${replica.term} [${replica.chain.join(',')}]`}`;
        }
      }
      // Fresh: the tail must have committed what the head had committed before we asked the tail.
      statuses.delete(shard.chain.at(-1)!);
      const tail = (await status(shard.chain.at(-1)!)).shards.find((s) => s.shard === shard.id);
      if (tail === undefined || tail.commitSeq < head.commitSeq) {
        return `tail of shard ${shard.id} behind (${tail?.commitSeq} < ${head.commitSeq})`;
      }
      if (tail.role !== 'tail') return `tail of shard ${shard.id} has role ${tail.role}`;
    }
    for (const { inbound, redis } of this.proxies.values()) {
      if (inbound.mode !== 'open' || redis.mode !== 'open')
        return `a proxy is still ${inbound.mode}/${redis.mode}`;
    }
    if (this.lab !== undefined && !this.lab.healed)
      return `network faults still in force: ${this.lab.rules.describe()}`;
    return undefined;
  }

  async stop(): Promise<void> {
    try {
      await this.cluster.stop();
      for (const { inbound, redis } of this.proxies.values()) {
        await inbound.close();
        await redis.close();
      }
    } finally {
      await this.lab?.stop();
    }
  }
}

/** One host per service: Redis, each manager, each node, the gateway and the checkpointer. */
/**
 * Whether Redis runs as a Sentinel topology by default: `STAR_FAULTS_SENTINEL=1|0` says so, else
 * yes on namespaced hosts (a deployment's control plane fails over) and no on the proxy fallback.
 */
function sentinelWanted(network: FaultNetwork): boolean {
  const asked = process.env.STAR_FAULTS_SENTINEL;
  if (asked === '1' || asked === '0') return asked === '1';
  return network === 'hosts';
}

function hostNames(options: FaultClusterOptions, sentinel: boolean): string[] {
  return [
    ...Array.from({ length: sentinel ? 3 : 1 }, (_, i) => redisHostName(i)),
    ...Array.from({ length: options.managers }, (_, i) => `m${i + 1}`),
    ...Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`),
    'g1',
    'c1',
  ];
}
