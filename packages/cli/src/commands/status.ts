import { Command } from 'commander';
import { clusterStatus, formatStatusTable } from '../cluster/service-status.js';
import { type DataDirOptions, layoutOf, openCluster, withDataDir } from './cluster-target.js';

interface StatusOptions extends DataDirOptions {
  json?: boolean;
}

/** `star status`: every service's pid, port, health, role and uptime; exit 1 when any is not healthy. */
export async function statusCommand(options: StatusOptions): Promise<number> {
  const cluster = openCluster(options);
  if (cluster === undefined) return 1;
  const rows = await clusterStatus(cluster);
  const unhealthy = rows.filter((row) => row.state !== 'healthy');
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ dataDir: layoutOf(options).root, services: rows })}\n`);
  } else {
    process.stdout.write(`${formatStatusTable(rows)}\n`);
    process.stdout.write(
      unhealthy.length === 0
        ? `\nall ${rows.length} services healthy\n`
        : `\n${unhealthy.length} of ${rows.length} services not healthy: ${unhealthy.map((row) => row.name).join(', ')}\n`,
    );
  }
  return unhealthy.length === 0 ? 0 : 1;
}

export function statusCommandLine(): Command {
  return withDataDir(new Command('status'))
    .description('pid, port, health, role and uptime of every service (exit 1 if any is not healthy)')
    .option('--json', 'print JSON for scripts')
    .action(async (options: StatusOptions) => {
      process.exitCode = await statusCommand(options);
    });
}
