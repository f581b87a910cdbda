import { Command } from 'commander';
import { type CheckpointOptions, checkpointCommand } from './commands/checkpoint.js';
import { clusterCommands } from './commands/cluster-commands.js';
import { keysCommand } from './commands/keys.js';
import { kvCommand } from './commands/kv.js';
import { nsCommand } from './commands/ns.js';
import { type TestOptions, testCommand } from './commands/test.js';

/** What each subcommand does; each resolves with the process exit code. */
export interface Commands {
  test(options: TestOptions): Promise<number>;
  checkpoint(kind: 'image' | 'snapshot', options: CheckpointOptions): Promise<number>;
}

const defaultCommands: Commands = { test: testCommand, checkpoint: checkpointCommand };

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The `star` command line; `commands` is swappable so parsing can be tested without running anything. */
export function buildProgram(commands: Commands = defaultCommands): Command {
  const program = new Command('star')
    .description('Star: a sharded, chain-replicated key-value store')
    .showHelpAfterError();

  program
    .command('test')
    .description('build, lint, typecheck and test the repo (via turbo), with a real redis-server')
    .option('--faults', 'run the fault-injection suite (short schedule; see docs/reliability.md)')
    .option('--long', 'with --faults: the long schedule')
    .option('--minutes <n>', 'with --faults --long: compose random faults for this many minutes')
    .option('--seed <n>', "with --faults: replay a run's random choices")
    .option('--filter <pkg>', 'only this package and its dependencies (repeatable; turbo syntax)', collect)
    .action(async (options: TestOptions) => {
      process.exitCode = await commands.test(options);
    });

  for (const command of clusterCommands()) program.addCommand(command);
  program.addCommand(keysCommand());
  program
    .command('checkpoint')
    .description('ask the manager leader for a manager image or a shard snapshot')
    .argument('<kind>', 'image | snapshot')
    .option(
      '--manager <url>',
      'a manager (followers redirect)',
      process.env.STAR_MANAGER_URL ?? 'http://127.0.0.1:7400',
    )
    .option('--key <key>', 'API key with the admin scope (default: STAR_API_KEY)', process.env.STAR_API_KEY)
    .option('--shard <id>', 'shard to snapshot', (value) => Number.parseInt(value, 10))
    .option('--wait', 'follow the job until it ends')
    .action(async (kind: string, options: CheckpointOptions) => {
      if (kind !== 'image' && kind !== 'snapshot')
        program.error(`unknown checkpoint kind '${kind}' (image | snapshot)`);
      process.exitCode = await commands.checkpoint(kind as 'image' | 'snapshot', options);
    });

  program.addCommand(kvCommand());
  program.addCommand(nsCommand());

  return program;
}
