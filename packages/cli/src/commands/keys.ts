import { type ApiKeyInfo, isScope, type Scope } from '@star/protocol';
import { Command, InvalidArgumentError } from 'commander';
import { GatewayAdminClient } from './gateway-admin-client.js';
import { type GatewayTarget, withGatewayTarget } from './gateway-target.js';
import { formatTable, runCommand } from './service-call.js';

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
  return withGatewayTarget(command, 'API key with the admin scope').option(
    '--json',
    'print JSON for scripts instead of a table',
  );
}

/** Runs one call; a refusal exits 1, an unreachable or failing gateway 2 (see ExitCode). */
function run(action: () => Promise<void>): Promise<void> {
  return runCommand('star keys', action);
}

export function formatKeyTable(keys: ApiKeyInfo[]): string {
  return formatTable([
    ['ID', 'NAME', 'SCOPES', 'CREATED'],
    ...keys.map((key) => [key.id, key.name, key.scopes.join(','), key.createdAt]),
  ]);
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
