import { Command } from 'commander';
import { waitForNodesAlive } from '../cluster/cluster-readiness.js';
import { type DataDirOptions, openCluster, selectServices, withDataDir } from './cluster-target.js';

/** `star restart [service]`: stops the selection (if running) and starts it again on its ports. */
export async function restartCommand(selector: string | undefined, options: DataDirOptions): Promise<number> {
  const cluster = openCluster(options);
  if (cluster === undefined) return 1;
  const names = selectServices(cluster, selector);
  await cluster.stop(names);
  try {
    await cluster.start(names);
    const nodes = cluster.services('node').filter((node) => names.includes(node.name));
    await waitForNodesAlive(
      cluster.managerApi(),
      nodes.map((node) => node.name),
      cluster.progress,
    );
  } catch (error) {
    process.stderr.write(`star restart: ${(error as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`restarted ${names.join(', ')}\n`);
  return 0;
}

export function restartCommandLine(): Command {
  return withDataDir(new Command('restart'))
    .description('restart the cluster, or one service (n2) or kind (node), on the same ports')
    .argument('[service]', 'instance (m1, n2, g1, c1, redis) or kind (manager, node, ...)')
    .action(async (selector: string | undefined, options: DataDirOptions) => {
      process.exitCode = await restartCommand(selector, options);
    });
}
