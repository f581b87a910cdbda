import { ensureRedisServer, findRepoRoot } from '@star/testkit';
import { runInherited } from '../run-inherited.js';
import { clearTestReports, formatTestSummary, readTestReports } from './test-summary.js';

export interface TestOptions {
  /** Run the fault-injection suite (test/faults) instead of the whole test run. */
  faults?: boolean;
  /** With `faults`: the long schedule. */
  long?: boolean;
  /** With `long`: the timed, composed schedule for this many minutes (checked by the script). */
  minutes?: string;
  /** With `faults`: the seed of the run's random choices (checked by the script). */
  seed?: string;
  /** Turbo package filters, e.g. `@star/testkit`. */
  filter?: string[];
}

/** Builds, lints, typechecks and tests the whole repo (or the filtered packages) through turbo. */
export async function testCommand(options: TestOptions): Promise<number> {
  if (options.faults) return runFaultSuite(options);
  const started = performance.now();
  const root = findRepoRoot();
  clearTestReports(root);
  const code = await buildAndTest(root, options.filter ?? []);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`\n${formatTestSummary(readTestReports(root))}`);
  console.log(
    code === 0 ? `star test: passed in ${seconds}s` : `star test: FAILED (exit code ${code}) in ${seconds}s`,
  );
  return code;
}

async function buildAndTest(root: string, filters: string[]): Promise<number> {
  try {
    // Tests start real Redis servers; fail early with install instructions rather than in every test.
    await ensureRedisServer();
  } catch (error) {
    process.stderr.write(`star test: ${(error as Error).message}\n`);
    return 1;
  }
  const turboArgs = [
    'run',
    'build',
    'lint',
    'typecheck',
    'test',
    // Run every task even after a failure, so one run shows every broken package.
    '--continue',
    ...filters.map((filter) => `--filter=${filter}`),
  ];
  return runInherited('pnpm', ['exec', 'turbo', ...turboArgs], { cwd: root });
}

/** The command `star test --faults [--long [--minutes N]]` runs after building: the root `test:faults` script. */
export function faultSuiteCommand(options: TestOptions): string[] {
  return [
    'pnpm',
    'test:faults',
    ...(options.long ? ['--long'] : []),
    ...(options.minutes === undefined ? [] : ['--minutes', options.minutes]),
    ...(options.seed === undefined ? [] : ['--seed', options.seed]),
  ];
}

async function runFaultSuite(options: TestOptions): Promise<number> {
  const root = findRepoRoot();
  try {
    await ensureRedisServer();
  } catch (error) {
    process.stderr.write(`star test: ${(error as Error).message}\n`);
    return 1;
  }
  // The suite starts the built services: build first (a turbo cache hit when nothing changed).
  const built = await runInherited('pnpm', ['exec', 'turbo', 'run', 'build'], { cwd: root });
  if (built !== 0) return built;
  const [command, ...args] = faultSuiteCommand(options);
  return runInherited(command!, args, { cwd: root });
}
