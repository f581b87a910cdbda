import { Command } from 'commander';
import { keysCommand } from './commands/keys.js';
import { kvCommand } from './commands/kv.js';
import { nsCommand } from './commands/ns.js';
import { type TestOptions, testCommand } from './commands/test.js';
import { upCommand } from './commands/up.js';

/** What each subcommand does; each resolves with the process exit code. */
export interface Commands {
  test(options: TestOptions): Promise<number>;
  up(): Promise<number>;
}

const defaultCommands: Commands = { test: testCommand, up: upCommand };

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
    .option('--faults', 'run the fault-injection suite (not available yet)')
    .option('--filter <pkg>', 'only this package and its dependencies (repeatable; turbo syntax)', collect)
    .action(async (options: TestOptions) => {
      process.exitCode = await commands.test(options);
    });

  program
    .command('up')
    .description('start a local cluster (not available yet)')
    .action(async () => {
      process.exitCode = await commands.up();
    });

  program.addCommand(keysCommand());
  program.addCommand(kvCommand());
  program.addCommand(nsCommand());

  return program;
}
