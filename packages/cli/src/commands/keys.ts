import { type ApiKeyInfo, isScope, type Scope } from '@star/protocol';
import { Command, InvalidArgumentError } from 'commander';
import { GatewayAdminClient, GatewayCallError, type GatewayTarget } from './gateway-admin-client.js';

/**
 * Exit codes of `star keys ...`: 0 done; 1 the gateway refused (4xx: bad input, 401, 403, 404);
 * 2 the gateway could not be reached or failed (5xx); commander's own usage errors exit 1 too.
 */
export const KeysExit = { ok: 0, refused: 1, unavailable: 2 } as const;

interface OutputOptions extends GatewayTarget {
  json?: boolean;
}

function collectScope(value: string, previous: Scope[] = []): Scope[] {
  if (!isScope(value)) {
    throw new InvalidArgumentError(
      'a scope is *, admin, read:<namespace>, write:<namespace>, read:* or write:*',
    );
  }
  return [...previous, value];
}

function withTarget(command: Command): Command {
  return command
    .option('--gateway <url>', 'gateway URL (default $STAR_GATEWAY_URL or http://127.0.0.1:8080)')
    .option('--key <key>', 'API key with the admin scope (default $STAR_API_KEY)')
    .option('--json', 'print JSON for scripts instead of a table');
}

/** Runs one call, printing a failure to stderr and mapping it to an exit code. */
async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
    process.exitCode = KeysExit.ok;
  } catch (error) {
    if (!(error instanceof GatewayCallError)) throw error;
    process.stderr.write(`star keys: ${error.message}\n`);
    const refused = error.status !== undefined && error.status < 500;
    process.exitCode = refused ? KeysExit.refused : KeysExit.unavailable;
  }
}

export function formatKeyTable(keys: ApiKeyInfo[]): string {
  const rows = [
    ['ID', 'NAME', 'SCOPES', 'CREATED'],
    ...keys.map((key) => [key.id, key.name, key.scopes.join(','), key.createdAt]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `star keys create|list|revoke`: API keys through the gateway's admin API. */
export function keysCommand(): Command {
  const keys = new Command('keys').description('create, list and revoke API keys (needs an admin key)');

  withTarget(keys.command('create'))
    .description('create an API key; its secret is printed once, store it now')
    .requiredOption('--name <name>', 'what the key is for')
    .requiredOption(
      '--scope <scope>',
      'a scope to grant (repeatable): *, admin, read:<ns>, write:<ns>',
      collectScope,
    )
    .action(async (options: OutputOptions & { name: string; scope: Scope[] }) => {
      await run(async () => {
        const created = await new GatewayAdminClient(options).createKey({
          name: options.name,
          scopes: options.scope,
        });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(created)}\n`);
          return;
        }
        process.stdout.write(
          `${formatKeyTable([created])}\n\nkey: ${created.key}\n(shown only now: the gateway keeps only its hash)\n`,
        );
      });
    });

  withTarget(keys.command('list'))
    .description('list API keys (ids, names, scopes; never secrets)')
    .action(async (options: OutputOptions) => {
      await run(async () => {
        const listed = await new GatewayAdminClient(options).listKeys();
        process.stdout.write(options.json ? `${JSON.stringify(listed)}\n` : `${formatKeyTable(listed)}\n`);
      });
    });

  withTarget(keys.command('revoke'))
    .description('revoke an API key by id; it is refused from then on')
    .argument('<id>', 'the key id (as `keys list` shows it)')
    .action(async (id: string, options: OutputOptions) => {
      await run(async () => {
        await new GatewayAdminClient(options).revokeKey(id);
        process.stdout.write(options.json ? `${JSON.stringify({ revoked: id })}\n` : `revoked ${id}\n`);
      });
    });

  return keys;
}
