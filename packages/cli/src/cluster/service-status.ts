import type { ServiceRecord } from './cluster-file.js';
import { probeHealth } from './health-probe.js';
import type { LocalCluster } from './local-cluster.js';
import { redisRoleName } from './redis-ha.js';

/** One row of `star status`. */
export interface ServiceStatus {
  name: string;
  kind: string;
  pid: number | null;
  port: number;
  /** `running` + `healthy`, or what is wrong. */
  state: 'healthy' | 'unhealthy' | 'down';
  /** Manager: leader/follower; node: its membership state at the leader (alive, dead, draining...). */
  role: string;
  uptimeSeconds: number | null;
  problem?: string;
}

/** Checks every recorded service: is its process there, does it answer /health, what is its role. */
export async function clusterStatus(cluster: LocalCluster): Promise<ServiceStatus[]> {
  const api = cluster.managerApi();
  const nodeStates = await api
    .nodes()
    .then((nodes) => new Map(nodes.map((node) => [node.id, node.state as string])))
    .catch(() => new Map<string, string>());
  return Promise.all(
    cluster.services().map(async (service) => {
      const running = cluster.isRunning(service);
      const health = running ? await probeHealth(service) : undefined;
      const status: ServiceStatus = {
        name: service.name,
        kind: service.kind,
        pid: running ? service.pid : null,
        port: service.port,
        state: !running ? 'down' : health?.healthy ? 'healthy' : 'unhealthy',
        role: await roleOf(service, running, cluster, nodeStates),
        uptimeSeconds:
          running && service.startedAt
            ? Math.round((Date.now() - Date.parse(service.startedAt)) / 1000)
            : null,
      };
      const problem = !running
        ? service.pid === null
          ? 'stopped'
          : `process ${service.pid} is gone`
        : health?.problem;
      if (problem !== undefined) status.problem = problem;
      return status;
    }),
  );
}

async function roleOf(
  service: ServiceRecord,
  running: boolean,
  cluster: LocalCluster,
  nodeStates: Map<string, string>,
): Promise<string> {
  if (service.kind === 'manager') {
    if (!running) return '-';
    const leads = await cluster.managerApi().isLeader(service.url);
    return leads === undefined ? '?' : leads ? 'leader' : 'follower';
  }
  if (service.kind === 'redis' || service.kind === 'replica' || service.kind === 'sentinel') {
    // Who is primary now: after a failover it is no longer the one named `redis`.
    return running ? redisRoleName(service.port) : '-';
  }
  if (service.kind === 'node') return nodeStates.get(service.name) ?? (running ? 'joining' : '-');
  return '-';
}

export function formatUptime(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/** The status rows as an aligned text table. */
export function formatStatusTable(rows: ServiceStatus[]): string {
  const table = [
    ['SERVICE', 'KIND', 'PID', 'PORT', 'HEALTH', 'ROLE', 'UPTIME', 'PROBLEM'],
    ...rows.map((row) => [
      row.name,
      row.kind,
      row.pid === null ? '-' : String(row.pid),
      row.port === 0 ? '-' : String(row.port),
      row.state,
      row.role,
      formatUptime(row.uptimeSeconds),
      row.problem ?? '',
    ]),
  ];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  return table
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
