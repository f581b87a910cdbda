import { join } from 'node:path';
import type { ServiceName } from '@star/protocol';

/**
 * Every kind of process a local cluster runs: Redis (with `--ha` also its replicas and sentinels)
 * plus Star's four services.
 */
export type ServiceKind = 'redis' | 'replica' | 'sentinel' | ServiceName;

/** Start order (and, reversed, stop order): the control plane first, the public edge last. */
export const START_ORDER: readonly ServiceKind[] = [
  'redis',
  'replica',
  'sentinel',
  'manager',
  'node',
  'checkpointer',
  'gateway',
];

/** Kinds started together: each phase needs only the ones before it (nodes, checkpointers and gateways need Redis and a manager). */
export const START_PHASES: readonly (readonly ServiceKind[])[] = [
  ['redis'],
  ['replica', 'sentinel'],
  ['manager'],
  ['node', 'checkpointer', 'gateway'],
];

/** Instance names are a kind letter and a number (`m1`, `n3`, `c1`, `g1`); Redis is just `redis`. */
const PREFIX: Record<ServiceName, string> = { manager: 'm', node: 'n', checkpointer: 'c', gateway: 'g' };

export function instanceName(kind: ServiceName, index: number): string {
  return `${PREFIX[kind]}${index}`;
}

/** The kind and number of an instance name, or undefined when it names none. */
export function parseInstanceName(name: string): { kind: ServiceKind; index: number } | undefined {
  if (name === 'redis') return { kind: 'redis', index: 1 };
  const ha = /^(replica|sentinel)([1-9][0-9]*)$/.exec(name);
  if (ha) return { kind: ha[1] as 'replica' | 'sentinel', index: Number(ha[2]) };
  const match = /^([mncg])([1-9][0-9]*)$/.exec(name);
  if (!match) return undefined;
  const kind = (Object.keys(PREFIX) as ServiceName[]).find((k) => PREFIX[k] === match[1])!;
  return { kind, index: Number(match[2]) };
}

export function isServiceKind(value: string): value is ServiceKind {
  return (START_ORDER as readonly string[]).includes(value);
}

/** Files and directories of a cluster's data dir; one place so every command agrees on them. */
export class DataDirLayout {
  constructor(readonly root: string) {}
  get clusterFile(): string {
    return join(this.root, 'cluster.json');
  }
  get adminKeyFile(): string {
    return join(this.root, 'admin-key');
  }
  get clusterSecretFile(): string {
    return join(this.root, 'cluster-secret');
  }
  /** The key the gateways encrypt catalog secrets (database passwords) with. */
  get catalogSecretFile(): string {
    return join(this.root, 'catalog-secret');
  }
  get lockFile(): string {
    return join(this.root, 'run', 'cli.lock');
  }
  get imageDir(): string {
    return join(this.root, 'images');
  }
  get redisDir(): string {
    return join(this.root, 'redis');
  }
  /** The dir of a Redis process of the cluster: `redis`, `replica1..`, `sentinel1..`. */
  redisDirOf(name: string): string {
    return name === 'redis' ? this.redisDir : join(this.root, name);
  }
  nodeDataDir(name: string): string {
    return join(this.root, 'nodes', name);
  }
  logFile(name: string): string {
    return join(this.root, 'logs', `${name}.log`);
  }
  pidFile(name: string): string {
    return join(this.root, 'run', `${name}.pid`);
  }
}

/** What every service of one cluster shares. */
export interface ClusterSecrets {
  redisUrl: string;
  /** `host:port,...` of the sentinels (`--ha`); empty or absent for a plain Redis. */
  redisSentinels?: string;
  adminKey: string;
  clusterSecret: string;
  catalogSecretKey: string;
}

/**
 * The environment of one Star service instance: the settings of packages/protocol's ServiceConfig
 * and the service's own schema (apps/<kind>/src/<kind>-settings.ts), documented in
 * docs/configuration.md. `managerUrls` is what a gateway follows.
 */
export function serviceEnv(
  kind: ServiceName,
  name: string,
  port: number,
  shared: ClusterSecrets & { layout: DataDirLayout; managerUrls: string[] },
): Record<string, string> {
  const common = {
    STAR_REDIS_URL: shared.redisUrl,
    ...(shared.redisSentinels
      ? { STAR_REDIS_SENTINELS: shared.redisSentinels, STAR_REDIS_MASTER: 'star' }
      : {}),
    STAR_HOST: '127.0.0.1',
    STAR_PORT: String(port),
    STAR_INSTANCE_ID: name,
    STAR_ADMIN_KEY: shared.adminKey,
    STAR_CLUSTER_SECRET: shared.clusterSecret,
  };
  switch (kind) {
    case 'manager':
      return { ...common, STAR_MANAGER_ID: name, STAR_IMAGE_DIR: shared.layout.imageDir };
    case 'node':
      return {
        ...common,
        STAR_NODE_ID: name,
        STAR_DATA_DIR: shared.layout.nodeDataDir(name),
        STAR_IMAGE_DIR: shared.layout.imageDir,
      };
    case 'checkpointer':
      return { ...common, STAR_IMAGE_DIR: shared.layout.imageDir };
    case 'gateway':
      return {
        ...common,
        STAR_MANAGERS: shared.managerUrls.join(','),
        STAR_CATALOG_SECRET_KEY: shared.catalogSecretKey,
      };
  }
}

/** The built entry point of a service (`pnpm build` puts it there). */
export function serviceMain(repoRoot: string, kind: ServiceName): string {
  return join(repoRoot, 'apps', kind, 'dist', 'main.js');
}

/** The redis-server arguments of a local cluster: AOF with fsync on every write, in the data dir. */
export function redisArgs(port: number, dir: string): string[] {
  return [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no'],
    ...['--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--logfile', ''],
  ];
}
