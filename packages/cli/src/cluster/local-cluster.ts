import { mkdirSync } from 'node:fs';
import { ensureRedisServer, findRepoRoot, freePort, sleep } from '@star/testkit';
import {
  type ClusterFile,
  DEFAULT_TOPOLOGY,
  readClusterFile,
  type ServiceRecord,
  servicesInOrder,
  type Topology,
  writeClusterFile,
} from './cluster-file.js';
import { persistentSecret } from './cluster-secrets.js';
import { probeHealth } from './health-probe.js';
import { isRunning, launchDetached, stopProcess } from './local-process.js';
import { tailLines } from './log-follower.js';
import { ManagerApi } from './manager-api.js';
import type { Progress } from './progress.js';
import {
  dataNodeArgs,
  ensureDataNodeConf,
  ensureSentinelConf,
  HA_REPLICAS,
  HA_SENTINELS,
  sentinelArgs,
  sentinelList,
} from './redis-ha.js';
import {
  type DataDirLayout,
  instanceName,
  parseInstanceName,
  redisArgs,
  type ServiceKind,
  START_ORDER,
  START_PHASES,
  serviceEnv,
  serviceMain,
} from './service-spec.js';

/** Ports tried first, so a lone local cluster sits where the CLI's defaults look for it. */
const PREFERRED_PORTS: Record<string, number> = { g1: 8080, m1: 7400 };
const HEALTHY_TIMEOUT_MS = 30_000;

/** A service that exited or never became healthy while starting; carries its log's tail. */
export class ServiceStartError extends Error {}

/**
 * A local cluster in a data dir: its processes (detached, one pid file each), their ports and the
 * shared secrets, as `cluster.json` records them. Every command loads it, acts, and saves it.
 */
export class LocalCluster {
  readonly repoRoot = findRepoRoot();

  private constructor(
    readonly layout: DataDirLayout,
    readonly file: ClusterFile,
    readonly progress: Progress,
  ) {}

  /** The cluster recorded in the data dir, if any. */
  static open(layout: DataDirLayout, progress: Progress): LocalCluster | undefined {
    const file = readClusterFile(layout);
    return file && new LocalCluster(layout, file, progress);
  }

  /**
   * The cluster of this data dir with the wanted topology: the recorded one (its ports, secrets and
   * data kept) or a new one. Records are added for missing instances and dropped beyond the counts.
   */
  static prepare(layout: DataDirLayout, topology: Topology, progress: Progress): LocalCluster {
    mkdirSync(layout.root, { recursive: true });
    const existing = readClusterFile(layout);
    const externalRedis = process.env.STAR_REDIS_URL;
    const file: ClusterFile = existing ?? {
      version: 1,
      dataDir: layout.root,
      gatewayUrl: null,
      managerUrls: [],
      redisUrl: externalRedis ?? '',
      ownsRedis: externalRedis === undefined,
      adminKey: persistentSecret(layout.adminKeyFile, 'star-admin-'),
      dashboards: {},
      topology: DEFAULT_TOPOLOGY,
      services: {},
      updatedAt: '',
    };
    file.topology = topology;
    const cluster = new LocalCluster(layout, file, progress);
    cluster.#shapeRecords();
    return cluster;
  }

  get topology(): Topology {
    return this.file.topology;
  }

  services(kind?: ServiceKind): ServiceRecord[] {
    return servicesInOrder(this.file, START_ORDER).filter(
      (service) => kind === undefined || service.kind === kind,
    );
  }

  service(name: string): ServiceRecord | undefined {
    return this.file.services[name];
  }

  isRunning(service: ServiceRecord): boolean {
    return isRunning(service);
  }

  save(): void {
    this.file.dashboards = this.#dashboards();
    writeClusterFile(this.layout, this.file);
  }

  /** One record per wanted instance (port 0 until first started); surplus stopped records go. */
  #shapeRecords(): void {
    const ha = this.file.ownsRedis && this.topology.ha === true;
    const counts: Record<Exclude<ServiceKind, 'redis'>, number> = {
      replica: ha ? HA_REPLICAS : 0,
      sentinel: ha ? HA_SENTINELS : 0,
      manager: this.topology.managers,
      node: this.topology.nodes,
      checkpointer: this.topology.checkpointers,
      gateway: this.topology.gateways,
    };
    if (this.file.ownsRedis) this.#ensureRecord('redis', 'redis');
    for (const [kind, count] of Object.entries(counts) as [Exclude<ServiceKind, 'redis'>, number][]) {
      for (let index = 1; index <= count; index++) {
        this.#ensureRecord(
          kind === 'replica' || kind === 'sentinel' ? `${kind}${index}` : instanceName(kind, index),
          kind,
        );
      }
      for (const service of this.services(kind)) {
        const index = parseInstanceName(service.name)?.index ?? 0;
        if (index > count && !isRunning(service)) delete this.file.services[service.name];
      }
    }
  }

  #ensureRecord(name: string, kind: ServiceKind): void {
    this.file.services[name] ??= {
      name,
      kind,
      port: 0,
      url: '',
      pid: null,
      procStart: null,
      startedAt: null,
      log: this.layout.logFile(name),
    };
  }

  /** Adds instance `name` to the records (for `scale`), not started yet. */
  addInstance(name: string): ServiceRecord {
    const parsed = parseInstanceName(name);
    if (parsed === undefined) throw new Error(`not an instance name: ${name}`);
    this.#ensureRecord(name, parsed.kind);
    return this.file.services[name]!;
  }

  forget(name: string): void {
    delete this.file.services[name];
  }

  /**
   * Starts the given services (all by default) that are not running, kind by kind in start order
   * (instances of one kind together), each waited for until healthy. On a failure, what this call
   * started is stopped again and the error names the service and shows its log's tail.
   */
  async start(names?: string[]): Promise<void> {
    const wanted = this.services().filter((service) => names === undefined || names.includes(service.name));
    const started: ServiceRecord[] = [];
    try {
      for (const kinds of START_PHASES) {
        const batch = wanted.filter((service) => kinds.includes(service.kind) && !isRunning(service));
        await Promise.all(
          batch.map(async (service) => {
            await this.#launch(service);
            started.push(service);
            await this.#waitHealthy(service);
          }),
        );
        if (kinds.includes('manager') && batch.length > 0) await this.waitForLeader();
      }
    } catch (error) {
      this.progress.step('start failed; stopping what this command started');
      await this.stop(started.map((service) => service.name));
      throw error;
    }
  }

  /** Stops the given services (all by default) in reverse start order; each record keeps its port. */
  async stop(names?: string[]): Promise<void> {
    const order = [...START_ORDER].reverse();
    for (const kind of order) {
      const batch = this.services(kind).filter(
        (service) => names === undefined || names.includes(service.name),
      );
      await Promise.all(batch.map((service) => this.#stopOne(service)));
    }
  }

  async #stopOne(service: ServiceRecord): Promise<void> {
    if (service.pid !== null) {
      const outcome = await stopProcess({ pid: service.pid, procStart: service.procStart });
      this.progress.step(
        outcome === 'not running'
          ? `${service.name} was not running (stale pid ${service.pid})`
          : `${service.name} ${outcome}`,
      );
    }
    service.pid = null;
    service.procStart = null;
    service.startedAt = null;
    this.save();
  }

  async #launch(service: ServiceRecord): Promise<void> {
    const preferred = service.port || PREFERRED_PORTS[service.name];
    service.port = await freePort(preferred === undefined ? {} : { port: preferred });
    service.url = isRedisKind(service.kind)
      ? `redis://127.0.0.1:${service.port}`
      : `http://127.0.0.1:${service.port}`;
    if (service.kind === 'redis') this.file.redisUrl = service.url;
    const { command, args, env } = await this.#commandOf(service);
    this.progress.step(`starting ${service.name} (${service.kind}) on port ${service.port}`);
    const identity = launchDetached({ command, args, env, logFile: service.log });
    service.pid = identity.pid;
    service.procStart = identity.procStart;
    service.startedAt = new Date().toISOString();
    this.save();
  }

  async #commandOf(
    service: ServiceRecord,
  ): Promise<{ command: string; args: string[]; env: Record<string, string> }> {
    if (isRedisKind(service.kind))
      return { command: await ensureRedisServer(), args: this.#redisArgsOf(service), env: {} };
    const managerUrls = this.services('manager')
      .filter((manager) => manager.port !== 0)
      .map((manager) => manager.url);
    const env = serviceEnv(service.kind, service.name, service.port, {
      layout: this.layout,
      redisUrl: this.file.redisUrl,
      redisSentinels: this.file.redisSentinels ?? '',
      adminKey: this.file.adminKey,
      clusterSecret: persistentSecret(this.layout.clusterSecretFile, ''),
      catalogSecretKey: persistentSecret(this.layout.catalogSecretFile, ''),
      managerUrls,
    });
    return { command: process.execPath, args: [serviceMain(this.repoRoot, service.kind)], env };
  }

  /** redis-server arguments: a plain primary, or (`--ha`) a data node with its conf, or a sentinel. */
  #redisArgsOf(service: ServiceRecord): string[] {
    const dir = this.layout.redisDirOf(service.name);
    const primaryPort = this.service('redis')?.port ?? 0;
    if (service.kind === 'sentinel') {
      this.file.redisSentinels = sentinelList(this.services('sentinel'));
      return sentinelArgs(ensureSentinelConf(dir, service.port, primaryPort), service.port);
    }
    if (this.topology.ha !== true) {
      mkdirSync(dir, { recursive: true });
      return redisArgs(service.port, dir);
    }
    const conf = ensureDataNodeConf(dir, service.kind === 'replica' ? primaryPort : undefined);
    return dataNodeArgs(conf, service.port, dir);
  }

  async #waitHealthy(service: ServiceRecord): Promise<void> {
    const deadline = Date.now() + HEALTHY_TIMEOUT_MS;
    for (;;) {
      if (!isRunning(service)) {
        throw new ServiceStartError(
          `${service.name} exited while starting; the end of ${service.log}:\n${tail(service.log)}`,
        );
      }
      const health = await probeHealth(service, 1_000);
      if (health.healthy) {
        this.progress.step(`${service.name} healthy (pid ${service.pid}, ${service.url})`);
        return;
      }
      if (Date.now() > deadline) {
        throw new ServiceStartError(
          `${service.name} not healthy after ${HEALTHY_TIMEOUT_MS / 1000}s (${health.problem}); the end of ${service.log}:\n${tail(service.log)}`,
        );
      }
      await sleep(100);
    }
  }

  /** Waits until some manager says it leads, and returns its URL. */
  async waitForLeader(timeoutMs = 30_000): Promise<string> {
    const api = this.managerApi();
    const deadline = Date.now() + timeoutMs;
    this.progress.step('waiting for a manager to lead');
    for (;;) {
      const leader = await api.leaderUrl();
      if (leader !== undefined) {
        const name = this.services('manager').find((m) => m.url === leader)?.name;
        this.progress.step(`leader: ${name} (${leader})`);
        return leader;
      }
      if (Date.now() > deadline) throw new ServiceStartError(`no manager leads after ${timeoutMs / 1000}s`);
      await sleep(200);
    }
  }

  /** The manager API of this cluster, with its admin key. */
  managerApi(): ManagerApi {
    return new ManagerApi(
      this.services('manager').map((manager) => manager.url),
      this.file.adminKey,
    );
  }

  #dashboards(): Record<string, string> {
    const dashboards: Record<string, string> = {};
    const gateway = this.services('gateway')[0];
    if (gateway?.port) dashboards.api = `${gateway.url}/docs`;
    const manager = this.services('manager')[0];
    if (manager?.port) {
      dashboards.queues = `${manager.url}/admin/queues`;
      dashboards.managerApi = `${manager.url}/openapi.json`;
    }
    return dashboards;
  }
}

/** The last lines of a log file, indented, to show why a service failed. */
function tail(file: string): string {
  return tailLines(file, 20)
    .map((line) => `  ${line}`)
    .join('\n');
}

function isRedisKind(kind: ServiceKind): kind is 'redis' | 'replica' | 'sentinel' {
  return kind === 'redis' || kind === 'replica' || kind === 'sentinel';
}
