import type { Namespace, Shard } from '@star/protocol';
import { Command, InvalidArgumentError } from 'commander';
import { ManagerClient, type ManagerTarget, withManagerTarget } from './manager-client.js';
import { formatTable, runCommand } from './service-call.js';

interface OutputOptions extends ManagerTarget {
  json?: boolean;
}

function positive(value: string): number {
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('give a number >= 1');
  return Number(value);
}

function run(action: () => Promise<void>): Promise<void> {
  return runCommand('star ns', action);
}

function withTarget(command: Command): Command {
  return withManagerTarget(command).option('--json', 'print JSON for scripts instead of a table');
}

export function formatNamespaceTable(namespaces: Namespace[]): string {
  return formatTable([
    ['NAME', 'SHARDS', 'RF'],
    ...namespaces.map((ns) => [ns.name, String(ns.shards), String(ns.replicationFactor)]),
  ]);
}

function formatShardTable(shards: Shard[]): string {
  return formatTable([
    ['SHARD', 'HASH RANGE', 'TERM', 'STATUS', 'CHAIN (HEAD FIRST)'],
    ...shards.map((shard) => [
      String(shard.id),
      `${shard.hashRange.min}-${shard.hashRange.max}`,
      String(shard.term),
      shard.status,
      shard.chain.join(' -> '),
    ]),
  ]);
}

/** What the manager answers for one namespace (on create and show). */
interface NamespaceWithShards {
  namespace: Namespace;
  shards: Shard[];
}

function formatNamespace({ namespace, shards }: NamespaceWithShards): string {
  return `${formatNamespaceTable([namespace])}\n\n${formatShardTable(shards)}`;
}

/** `star ns create|list|show|delete`: namespaces through the manager's REST API. */
export function nsCommand(): Command {
  const ns = new Command('ns').description('create, list, show and delete namespaces (through a manager)');

  withTarget(ns.command('create'))
    .description('create a namespace split into shards, each replicated on a chain of nodes')
    .argument('<name>', 'letters, digits, . _ - (up to 128)')
    .requiredOption('--shards <n>', 'number of shards', positive)
    .option('--rf <n>', 'replication factor: nodes per chain (default 3)', positive)
    .action(async (name: string, options: OutputOptions & { shards: number; rf?: number }) => {
      await run(async () => {
        const created = await new ManagerClient(options).call<NamespaceWithShards>('POST', '/v1/namespaces', {
          name,
          shards: options.shards,
          ...(options.rf === undefined ? {} : { replicationFactor: options.rf }),
        });
        process.stdout.write(options.json ? `${JSON.stringify(created)}\n` : `${formatNamespace(created)}\n`);
      });
    });

  withTarget(ns.command('list'))
    .description('list namespaces')
    .action(async (options: OutputOptions) => {
      await run(async () => {
        const { namespaces } = await new ManagerClient(options).call<{ namespaces: Namespace[] }>(
          'GET',
          '/v1/namespaces',
        );
        process.stdout.write(
          options.json ? `${JSON.stringify(namespaces)}\n` : `${formatNamespaceTable(namespaces)}\n`,
        );
      });
    });

  withTarget(ns.command('show'))
    .description('show a namespace and its shards with their chains')
    .argument('<name>', 'namespace')
    .action(async (name: string, options: OutputOptions) => {
      await run(async () => {
        const shown = await new ManagerClient(options).call<NamespaceWithShards>(
          'GET',
          `/v1/namespaces/${encodeURIComponent(name)}`,
        );
        process.stdout.write(options.json ? `${JSON.stringify(shown)}\n` : `${formatNamespace(shown)}\n`);
      });
    });

  withTarget(ns.command('delete'))
    .description('delete a namespace and all its keys')
    .argument('<name>', 'namespace')
    .action(async (name: string, options: OutputOptions) => {
      await run(async () => {
        await new ManagerClient(options).call('DELETE', `/v1/namespaces/${encodeURIComponent(name)}`);
        process.stdout.write(options.json ? `${JSON.stringify({ deleted: name })}\n` : `deleted ${name}\n`);
      });
    });

  return ns;
}
