import { Command } from 'commander';
import { type DataDirOptions, openCluster, selectServices, withDataDir } from './cluster-target.js';

/** `star stop [service]`: SIGTERM (then SIGKILL after 10 s) in reverse start order; data is kept. */
export async function stopCommand(selector: string | undefined, options: DataDirOptions): Promise<number> {
  const cluster = openCluster(options);
  if (cluster === undefined) return selector === undefined ? 0 : 1;
  const names = selectServices(cluster, selector);
  await cluster.stop(names);
  process.stdout.write(
    selector === undefined
      ? `cluster stopped; its data stays in ${cluster.layout.root} (./star up starts it again)\n`
      : `stopped ${names.join(', ')}\n`,
  );
  return 0;
}

export function stopCommandLine(): Command {
  return withDataDir(new Command('stop'))
    .description('stop the cluster, or one service (n2) or kind (node); data is kept')
    .argument('[service]', 'instance (m1, n2, g1, c1, redis) or kind (manager, node, ...)')
    .action(async (selector: string | undefined, options: DataDirOptions) => {
      process.exitCode = await stopCommand(selector, options);
    });
}
