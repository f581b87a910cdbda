import { resolve } from 'node:path';
import { findRepoRoot } from '@star/testkit';
import type { Command } from 'commander';
import { LocalCluster } from '../cluster/local-cluster.js';
import { Progress } from '../cluster/progress.js';
import { DataDirLayout, isServiceKind } from '../cluster/service-spec.js';

export interface DataDirOptions {
  dataDir?: string;
}

/** The data dir of a local cluster: `--data-dir`, else `.star/` in the repo. */
export function layoutOf(options: DataDirOptions): DataDirLayout {
  return new DataDirLayout(resolve(options.dataDir ?? resolve(findRepoRoot(), '.star')));
}

export function withDataDir(command: Command): Command {
  return command.option('--data-dir <dir>', "the cluster's data dir (default: .star/ in the repo)");
}

/** The recorded cluster, or undefined after telling the user there is none. */
export function openCluster(options: DataDirOptions, progress = new Progress()): LocalCluster | undefined {
  const layout = layoutOf(options);
  const cluster = LocalCluster.open(layout, progress);
  if (cluster === undefined)
    process.stderr.write(`star: no cluster in ${layout.root} (start one with ./star up)\n`);
  return cluster;
}

/**
 * The instance names a `[service]` argument selects: an instance (`n2`, `redis`), a kind (`node`:
 * all nodes), or everything when absent. Throws naming the choices when it matches nothing.
 */
export function selectServices(cluster: LocalCluster, selector: string | undefined): string[] {
  if (selector === undefined) return cluster.services().map((service) => service.name);
  if (cluster.service(selector)) return [selector];
  if (isServiceKind(selector)) {
    const names = cluster.services(selector).map((service) => service.name);
    if (names.length > 0) return names;
  }
  const known = cluster.services().map((service) => service.name);
  throw new Error(
    `no service '${selector}' in this cluster (one of: ${known.join(', ')}, or a kind: manager, node, ...)`,
  );
}
