import { Command, InvalidArgumentError } from 'commander';
import type { ServiceRecord } from '../cluster/cluster-file.js';
import { LogFollower, tailLines } from '../cluster/log-follower.js';
import { type DataDirOptions, openCluster, selectServices, withDataDir } from './cluster-target.js';

/** Follows the log files of `services`, writing new lines to stdout; returns a function that stops. */
export function followLogs(
  services: ServiceRecord[],
  options: { fromEnd: boolean; prefix: boolean },
): () => void {
  const width = Math.max(...services.map((service) => service.name.length));
  const followers = services.map((service) =>
    new LogFollower(
      service.log,
      (line) =>
        process.stdout.write(options.prefix ? `${service.name.padEnd(width)} | ${line}\n` : `${line}\n`),
      options.fromEnd ? LogFollower.sizeOf(service.log) : 0,
    ).start(),
  );
  return () => {
    for (const follower of followers) follower.stop();
  };
}

interface LogsOptions extends DataDirOptions {
  follow?: boolean;
  lines: number;
}

/** `star logs <service> [-f]`: the last lines of a service's log (or of a kind's, prefixed), then follows. */
export async function logsCommand(selector: string, options: LogsOptions): Promise<number> {
  const cluster = openCluster(options);
  if (cluster === undefined) return 1;
  const names = selectServices(cluster, selector);
  const services = names.map((name) => cluster.service(name)!);
  const prefix = services.length > 1;
  for (const service of services) {
    for (const line of tailLines(service.log, options.lines))
      process.stdout.write(prefix ? `${service.name} | ${line}\n` : `${line}\n`);
  }
  if (!options.follow) return 0;
  const stop = followLogs(services, { fromEnd: true, prefix });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stop();
  return 0;
}

export function logsCommandLine(): Command {
  return withDataDir(new Command('logs'))
    .description("print a service's log (an instance such as n1, or a kind such as node); -f follows it")
    .argument('<service>', 'instance (m1, n2, g1, c1, redis) or kind (manager, node, ...)')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option(
      '-n, --lines <n>',
      'how many of the last lines to print first',
      (value) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer >= 0');
        return n;
      },
      50,
    )
    .action(async (selector: string, options: LogsOptions) => {
      process.exitCode = await logsCommand(selector, options);
    });
}
