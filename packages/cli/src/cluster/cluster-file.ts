import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataDirLayout, ServiceKind } from './service-spec.js';

/** How many of each service a cluster runs, and the shape of its `default` namespace. */
export interface Topology {
  managers: number;
  nodes: number;
  checkpointers: number;
  gateways: number;
  shards: number;
  rf: number;
  /** Redis as a Sentinel topology (a primary, two replicas, three sentinels); absent in older files. */
  ha?: boolean;
}

export const DEFAULT_TOPOLOGY: Topology = {
  managers: 2,
  nodes: 3,
  checkpointers: 1,
  gateways: 1,
  shards: 4,
  rf: 3,
  ha: false,
};

/** One process of the cluster as last started. `pid` is null once stopped. */
export interface ServiceRecord {
  name: string;
  kind: ServiceKind;
  port: number;
  url: string;
  pid: number | null;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat), so a reused pid is not mistaken for it. */
  procStart: number | null;
  startedAt: string | null;
  log: string;
}

/**
 * `cluster.json` in the data dir: where everything listens, the admin key, and every process's
 * pid and port, for `star status|stop|restart|logs|scale` and for scripts.
 */
export interface ClusterFile {
  version: 1;
  dataDir: string;
  gatewayUrl: string | null;
  managerUrls: string[];
  redisUrl: string;
  /** False when STAR_REDIS_URL pointed at a Redis this cluster does not run. */
  ownsRedis: boolean;
  /** `--ha`: the sentinels every service asks for the primary (`host:port,...`). */
  redisSentinels?: string;
  adminKey: string;
  dashboards: Record<string, string>;
  topology: Topology;
  services: Record<string, ServiceRecord>;
  updatedAt: string;
}

export function readClusterFile(layout: DataDirLayout): ClusterFile | undefined {
  let text: string;
  try {
    text = readFileSync(layout.clusterFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as ClusterFile;
  if (parsed.version !== 1) throw new Error(`${layout.clusterFile}: unknown version ${parsed.version}`);
  return parsed;
}

/**
 * Writes `cluster.json` atomically (a reader never sees half a file) and the pid file of every
 * running service beside it (`run/<name>.pid`, for scripts and tools that expect pid files).
 */
export function writeClusterFile(layout: DataDirLayout, cluster: ClusterFile): void {
  cluster.updatedAt = new Date().toISOString();
  cluster.gatewayUrl = firstUrl(cluster, 'gateway');
  cluster.managerUrls = Object.values(cluster.services)
    .filter((service) => service.kind === 'manager')
    .map((service) => service.url);
  mkdirSync(dirname(layout.clusterFile), { recursive: true });
  const temporary = `${layout.clusterFile}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(cluster, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, layout.clusterFile);
  for (const service of Object.values(cluster.services)) {
    const pidFile = layout.pidFile(service.name);
    if (service.pid === null) rmSync(pidFile, { force: true });
    else {
      mkdirSync(dirname(pidFile), { recursive: true });
      writeFileSync(pidFile, `${service.pid}\n`);
    }
  }
}

function firstUrl(cluster: ClusterFile, kind: ServiceKind): string | null {
  return Object.values(cluster.services).find((service) => service.kind === kind)?.url ?? null;
}

/** Services in start order: by kind, then by number (`n2` before `n10`). */
export function servicesInOrder(cluster: ClusterFile, order: readonly ServiceKind[]): ServiceRecord[] {
  const number = (name: string) => Number(/\d+$/.exec(name)?.[0] ?? 0);
  return Object.values(cluster.services).sort(
    (a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || number(a.name) - number(b.name),
  );
}
