import { findRepoRoot } from '@star/testkit';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_TOPOLOGY, type Topology } from '../cluster/cluster-file.js';
import { ensureNamespace, waitForNodesAlive } from '../cluster/cluster-readiness.js';
import { clusterSummary } from '../cluster/cluster-summary.js';
import { LocalCluster } from '../cluster/local-cluster.js';
import { Progress } from '../cluster/progress.js';
import { buildServices } from '../cluster/service-build.js';
import { type DataDirOptions, layoutOf, withDataDir } from './cluster-target.js';
import { followLogs } from './logs.js';

export interface UpOptions extends DataDirOptions, Partial<Topology> {
  /** `--ha`: Redis as a primary with two replicas and three sentinels. */
  ha?: boolean;
  foreground?: boolean;
  /** False with --no-build: use the services as last built. */
  build?: boolean;
}

function count(minimum: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < minimum)
      throw new InvalidArgumentError(`expected an integer >= ${minimum}`);
    return parsed;
  };
}

/** The wanted topology: flags first, then what this data dir ran last time, then the defaults. */
export function topologyOf(options: Partial<Topology>, recorded: Topology | undefined): Topology {
  const base = recorded ?? DEFAULT_TOPOLOGY;
  const pick = (key: Exclude<keyof Topology, 'ha'>) => options[key] ?? base[key];
  const topology: Topology = {
    managers: pick('managers'),
    nodes: pick('nodes'),
    checkpointers: pick('checkpointers'),
    gateways: pick('gateways'),
    shards: pick('shards'),
    rf: options.rf ?? Math.min(base.rf, pick('nodes')),
    ha: options.ha ?? base.ha ?? false,
  };
  if (topology.rf > topology.nodes)
    throw new InvalidArgumentError(
      `--rf ${topology.rf} needs at least ${topology.rf} nodes (got --nodes ${topology.nodes})`,
    );
  return topology;
}

/** `star up`: starts (or resumes) the local cluster of a data dir and prints where it listens. */
export async function upCommand(options: UpOptions): Promise<number> {
  const progress = new Progress();
  const layout = layoutOf(options);
  const existing = LocalCluster.open(layout, progress);
  if (existing) {
    const services = existing.services();
    const running = services.filter((service) => existing.isRunning(service));
    if (running.length === services.length && running.length > 0) {
      process.stdout.write(`A cluster is already running in ${layout.root}; not starting another.\n`);
      process.stdout.write(clusterSummary(existing.file, layout.clusterFile));
      return 0;
    }
    if (running.length > 0) {
      const down = services.filter((service) => !existing.isRunning(service)).map((service) => service.name);
      process.stderr.write(
        `star up: a cluster is partly running in ${layout.root} (down: ${down.join(', ')}).\n` +
          `Start what is down with ./star restart <service>, or stop it all with ./star stop, then ./star up.\n`,
      );
      return 1;
    }
    const stale = services.filter((service) => service.pid !== null);
    if (stale.length > 0)
      progress.step(
        `pid files of ${stale.map((s) => s.name).join(', ')} are stale (their processes are gone); starting again`,
      );
  }

  let topology: Topology;
  try {
    topology = topologyOf(options, existing?.topology);
  } catch (error) {
    process.stderr.write(`star up: ${(error as Error).message}\n`);
    return 1;
  }
  if (topology.ha && process.env.STAR_REDIS_URL !== undefined) {
    // The sentinels watch a primary this cluster runs; an external Redis is the operator's to replicate.
    process.stderr.write('star up: --ha runs its own Redis topology; unset STAR_REDIS_URL to use it\n');
    return 1;
  }
  if (options.build !== false) {
    progress.step('building the services (turbo; cached when nothing changed)');
    const code = await buildServices(findRepoRoot());
    if (code !== 0) {
      process.stderr.write(`star up: the build failed (exit code ${code})\n`);
      return code;
    }
  }
  const cluster = LocalCluster.prepare(layout, topology, progress);
  for (const service of cluster.services()) if (!cluster.isRunning(service)) service.pid = null;
  try {
    await cluster.start();
    const api = cluster.managerApi();
    await waitForNodesAlive(
      api,
      cluster.services('node').map((node) => node.name),
      progress,
    );
    await ensureNamespace(
      api,
      { name: 'default', shards: topology.shards, replicationFactor: topology.rf },
      progress,
    );
  } catch (error) {
    process.stderr.write(`star up: ${(error as Error).message}\n`);
    process.stderr.write(`logs: ${layout.root}/logs/\n`);
    if (cluster.services().some((service) => cluster.isRunning(service))) {
      await cluster.stop();
    }
    return 1;
  }
  cluster.save();
  process.stdout.write(clusterSummary(cluster.file, layout.clusterFile));
  if (options.foreground) return runInForeground(cluster);
  return 0;
}

/**
 * `--foreground`: stream every service's new log lines prefixed with its name until Ctrl-C (or
 * SIGTERM), then stop the whole cluster in order.
 */
async function runInForeground(cluster: LocalCluster): Promise<number> {
  process.stderr.write('Streaming logs; Ctrl-C stops the cluster.\n');
  const stopFollowing = followLogs(cluster.services(), { fromEnd: true, prefix: true });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stopFollowing();
  process.stderr.write('\nstopping the cluster\n');
  // Re-read cluster.json: other commands (restart, scale) may have changed its processes meanwhile.
  await (LocalCluster.open(cluster.layout, cluster.progress) ?? cluster).stop();
  return 0;
}

export function upCommandLine(action: (options: UpOptions) => Promise<number> = upCommand): Command {
  return withDataDir(new Command('up'))
    .description('start a local cluster in the background (Redis, managers, nodes, checkpointer, gateway)')
    .option('--managers <n>', `managers (default ${DEFAULT_TOPOLOGY.managers})`, count(1))
    .option('--nodes <n>', `nodes (default ${DEFAULT_TOPOLOGY.nodes})`, count(1))
    .option('--checkpointers <n>', `checkpointers (default ${DEFAULT_TOPOLOGY.checkpointers})`, count(0))
    .option('--gateways <n>', `gateways (default ${DEFAULT_TOPOLOGY.gateways})`, count(1))
    .option('--shards <n>', `shards of the default namespace (default ${DEFAULT_TOPOLOGY.shards})`, count(1))
    .option(
      '--rf <n>',
      `replication factor of the default namespace (default ${DEFAULT_TOPOLOGY.rf}, at most --nodes)`,
      count(1),
    )
    .option(
      '--ha',
      'Redis as a Sentinel topology: a primary, two replicas, three sentinels; services follow failovers',
    )
    .option('--foreground', 'stay attached: stream prefixed logs; Ctrl-C stops the cluster')
    .option('--no-build', 'skip building the services')
    .action(async (options: UpOptions) => {
      process.exitCode = await action(options);
    });
}
