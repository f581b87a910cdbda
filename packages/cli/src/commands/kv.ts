import { Command, InvalidArgumentError, Option } from 'commander';
import { GatewayKvClient, type ListedKey, type ListRequest } from './gateway-kv-client.js';
import { type GatewayTarget, gatewayEndpoint, withGatewayTarget } from './gateway-target.js';
import { watchKeys } from './kv-watch.js';
import { formatTable, runCommand, ServiceCallError } from './service-call.js';

const KEY_HELP = 'API key with read:<ns> / write:<ns> (or *)';

function version(value: string): number {
  if (!/^\d{1,15}$/.test(value))
    throw new InvalidArgumentError('a version is a whole number, as put printed it');
  return Number(value);
}

function pageSize(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('a limit is a number >= 1');
  return Number(value);
}

function client(options: GatewayTarget): GatewayKvClient {
  return new GatewayKvClient(gatewayEndpoint(options));
}

function run(action: () => Promise<void>): Promise<void> {
  return runCommand('star kv', action);
}

/** The value to put: the argument as UTF-8, or stdin's bytes as they are (refused from a terminal). */
async function valueFrom(argument: string | undefined): Promise<Uint8Array> {
  if (argument !== undefined) return Buffer.from(argument, 'utf8');
  if (process.stdin.isTTY)
    throw new ServiceCallError('give the value as an argument or pipe it on stdin', 400);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A value for a table cell: its text, escaped and cut short. */
function preview(base64: string | undefined): string {
  if (base64 === undefined) return '';
  const text = JSON.stringify(Buffer.from(base64, 'base64').toString('utf8')).slice(1, -1);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function formatListing(keys: ListedKey[], values: boolean): string {
  const header = ['KEY', 'VERSION', 'MODIFIED', ...(values ? ['VALUE'] : [])];
  return formatTable([
    header,
    ...keys.map((record) => [
      record.key,
      String(record.version),
      new Date(record.modifiedAt).toISOString(),
      ...(values ? [preview(record.value)] : []),
    ]),
  ]);
}

interface PutOptions extends GatewayTarget {
  contentType?: string;
  ifMatch?: number;
  createOnly?: boolean;
  partitionKey?: string;
  json?: boolean;
}

interface ListOptions extends GatewayTarget, Omit<ListRequest, 'values'> {
  values?: boolean;
  all?: boolean;
  json?: boolean;
}

/** `star kv put|get|delete|list|watch`: keys and values through the gateway's REST API. */
export function kvCommand(): Command {
  const kv = new Command('kv').description('read, write, list and watch keys through the gateway');
  const partitionKey = () =>
    new Option('--partition-key <key>', 'hash this instead of the key to pick the shard');

  withGatewayTarget(kv.command('put'), KEY_HELP)
    .description('write a value; prints the new version (the value comes from stdin when not given)')
    .argument('<ns>', 'namespace')
    .argument('<key>', 'key (any UTF-8 up to 1 KiB; slashes are fine)')
    .argument('[value]', 'the value as text; omit it to read bytes from stdin')
    .option('--content-type <type>', 'stored with the value and served back on get')
    .option('--if-match <version>', 'write only if the key is at this version', version)
    .addOption(new Option('--create-only', 'write only if the key does not exist').conflicts('ifMatch'))
    .addOption(partitionKey())
    .option('--json', 'print the write result as JSON')
    .action(async (ns: string, key: string, value: string | undefined, options: PutOptions) => {
      await run(async () => {
        const written = await client(options).put(ns, key, await valueFrom(value), {
          ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
          ...(options.ifMatch === undefined ? {} : { ifMatch: options.ifMatch }),
          ...(options.createOnly ? { createOnly: true } : {}),
          ...(options.partitionKey === undefined ? {} : { partitionKey: options.partitionKey }),
        });
        process.stdout.write(
          options.json ? `${JSON.stringify(written)}\n` : `${ns}/${key} version ${written.version}\n`,
        );
      });
    });

  withGatewayTarget(kv.command('get'), KEY_HELP)
    .description('print a value, as raw bytes, to stdout')
    .argument('<ns>', 'namespace')
    .argument('<key>', 'key')
    .option('--meta', 'print the version, timestamps and content type as JSON instead of the value')
    .addOption(partitionKey())
    .action(
      async (ns: string, key: string, options: GatewayTarget & { meta?: boolean; partitionKey?: string }) => {
        await run(async () => {
          const { value, ...meta } = await client(options).get(ns, key, options.partitionKey);
          process.stdout.write(options.meta ? `${JSON.stringify(meta)}\n` : value);
        });
      },
    );

  withGatewayTarget(kv.command('delete').alias('del'), KEY_HELP)
    .description('delete a key')
    .argument('<ns>', 'namespace')
    .argument('<key>', 'key')
    .option('--if-match <version>', 'delete only if the key is at this version', version)
    .addOption(partitionKey())
    .action(
      async (
        ns: string,
        key: string,
        options: GatewayTarget & { ifMatch?: number; partitionKey?: string },
      ) => {
        await run(async () => {
          await client(options).delete(ns, key, {
            ...(options.ifMatch === undefined ? {} : { ifMatch: options.ifMatch }),
            ...(options.partitionKey === undefined ? {} : { partitionKey: options.partitionKey }),
          });
          process.stdout.write(`deleted ${ns}/${key}\n`);
        });
      },
    );

  withGatewayTarget(kv.command('list'), KEY_HELP)
    .description('list keys in key order; prints the cursor of the next page to stderr')
    .argument('<ns>', 'namespace')
    .option('--prefix <prefix>', 'only keys starting with this')
    .option('--start <key>', 'keys >= this')
    .option('--end <key>', 'keys < this')
    .option('--limit <n>', 'keys per page (gateway default 100)', pageSize)
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--values', 'include values')
    .option('--all', 'follow the cursor through every page')
    .option('--json', 'one JSON object per key (values base64), for scripts')
    .action(async (ns: string, options: ListOptions) => {
      await run(async () => {
        const kvClient = client(options);
        const { gateway: _g, key: _k, all, json, ...request } = options;
        let cursor = request.cursor;
        let table: ListedKey[] = [];
        do {
          const page = await kvClient.list(ns, { ...request, ...(cursor === undefined ? {} : { cursor }) });
          if (json) for (const record of page.keys) process.stdout.write(`${JSON.stringify(record)}\n`);
          else table = [...table, ...page.keys];
          cursor = page.cursor;
        } while (all && cursor !== undefined);
        if (!json) process.stdout.write(`${formatListing(table, request.values === true)}\n`);
        if (cursor !== undefined) process.stderr.write(`more keys follow: --cursor ${cursor}\n`);
      });
    });

  withGatewayTarget(kv.command('watch'), KEY_HELP)
    .description('print every change as one JSON line (value base64, with a cursor) until Ctrl-C')
    .argument('<ns>', 'namespace')
    .option('--prefix <prefix>', 'only keys starting with this')
    .option('--cursor <cursor>', 'resume after the event that carried this cursor')
    .action(async (ns: string, options: GatewayTarget & { prefix?: string; cursor?: string }) => {
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        process.exitCode = await watchKeys(
          gatewayEndpoint(options),
          ns,
          {
            ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
            ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
          },
          { out: process.stdout, err: process.stderr, stop: stop.signal },
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });

  return kv;
}
