import type { ServiceName } from '@star/protocol';
import { Command, InvalidArgumentError } from 'commander';
import type { Topology } from '../cluster/cluster-file.js';
import { drainAndRemoveNode, waitForNodesAlive } from '../cluster/cluster-readiness.js';
import type { LocalCluster } from '../cluster/local-cluster.js';
import { instanceName, parseInstanceName } from '../cluster/service-spec.js';
import { type DataDirOptions, openCluster, withDataDir } from './cluster-target.js';

/** The topology field each scalable kind's count lives in. */
const COUNT_OF: Record<ServiceName, Exclude<keyof Topology, 'ha'>> = {
  manager: 'managers',
  node: 'nodes',
  checkpointer: 'checkpointers',
  gateway: 'gateways',
};
const MINIMUM: Record<ServiceName, number> = { manager: 1, node: 1, checkpointer: 0, gateway: 1 };

export interface ScaleTarget {
  kind: ServiceName;
  count: number;
}

/** Parses `node=5` (also `nodes=5`, `manager=3`, ...). */
export function parseScaleTarget(value: string, previous: ScaleTarget[] = []): ScaleTarget[] {
  const match = /^([a-z]+?)s?=([0-9]+)$/.exec(value);
  const kind = match?.[1] as ServiceName | undefined;
  if (!match || kind === undefined || !(kind in COUNT_OF))
    throw new InvalidArgumentError(
      `expected <kind>=<count> with kind node, manager, gateway or checkpointer (got '${value}')`,
    );
  const count = Number(match[2]);
  if (count < MINIMUM[kind])
    throw new InvalidArgumentError(`a cluster needs at least ${MINIMUM[kind]} ${kind}(s)`);
  return [...previous.filter((target) => target.kind !== kind), { kind, count }];
}

function indexOf(name: string): number {
  return parseInstanceName(name)?.index ?? 0;
}

/**
 * Brings one kind to `count` instances: new ones get the next free numbers and are started (nodes
 * wait until the leader sees them alive); surplus ones, highest number first, are stopped and
 * forgotten; a surplus node is drained through the manager first so no replica is lost.
 */
async function scaleKind(cluster: LocalCluster, { kind, count }: ScaleTarget): Promise<void> {
  const current = cluster.services(kind);
  if (count > current.length) {
    let next = Math.max(0, ...current.map((service) => indexOf(service.name))) + 1;
    const added: string[] = [];
    while (current.length + added.length < count)
      added.push(cluster.addInstance(instanceName(kind, next++)).name);
    cluster.file.topology[COUNT_OF[kind]] = count;
    cluster.save();
    await cluster.start(added);
    if (kind === 'node') await waitForNodesAlive(cluster.managerApi(), added, cluster.progress);
  } else if (count < current.length) {
    const removed = [...current]
      .sort((a, b) => indexOf(b.name) - indexOf(a.name))
      .slice(0, current.length - count);
    if (kind === 'node') {
      const rf = Math.max(
        0,
        ...(await cluster.managerApi().namespaces()).map((ns) => ns.replicationFactor ?? 0),
      );
      if (count < rf)
        throw new Error(`node=${count} is fewer than the replication factor ${rf} of a namespace`);
      for (const node of removed) await drainAndRemoveNode(cluster.managerApi(), node.name, cluster.progress);
    }
    await cluster.stop(removed.map((service) => service.name));
    for (const service of removed) cluster.forget(service.name);
    cluster.file.topology[COUNT_OF[kind]] = count;
    cluster.save();
  }
  cluster.progress.step(`${kind}: ${count}`);
}

/** `star scale node=5 [gateway=2 ...]`. */
export async function scaleCommand(targets: ScaleTarget[], options: DataDirOptions): Promise<number> {
  const cluster = openCluster(options);
  if (cluster === undefined) return 1;
  try {
    for (const target of targets) await scaleKind(cluster, target);
  } catch (error) {
    process.stderr.write(`star scale: ${(error as Error).message}\n`);
    return 1;
  }
  const counts = targets.map(
    ({ kind }) =>
      `${kind}=${cluster
        .services(kind)
        .map((s) => s.name)
        .join(',')}`,
  );
  process.stdout.write(`scaled: ${counts.join(' ')}\n`);
  return 0;
}

export function scaleCommandLine(): Command {
  return withDataDir(new Command('scale'))
    .description('add or remove services, e.g. node=5 (removed nodes are drained first)')
    .argument('<kind=count...>', 'node=N, manager=N, gateway=N, checkpointer=N')
    .action(async (values: string[], options: DataDirOptions) => {
      let targets: ScaleTarget[];
      try {
        targets = values.reduce<ScaleTarget[]>((all, value) => parseScaleTarget(value, all), []);
      } catch (error) {
        process.stderr.write(`star scale: ${(error as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      process.exitCode = await scaleCommand(targets, options);
    });
}
