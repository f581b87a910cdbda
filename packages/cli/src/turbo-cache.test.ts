import { execFileSync } from 'node:child_process';
import { findRepoRoot } from '@star/testkit';
import { describe, expect, it } from 'vitest';

interface DryRunTask {
  taskId: string;
  cache: { status: 'HIT' | 'MISS' };
}

/**
 * Guards the turbo pipeline's inputs and outputs: this package's tests run after its dependencies
 * were built in the same run, so a second look at those builds must be a cache hit. If a build
 * wrote outside its declared outputs or read undeclared inputs that change, this turns MISS.
 */
describe('turbo cache', () => {
  it('finds the already-built dependency of the CLI in its cache', () => {
    const output = execFileSync(
      'pnpm',
      ['exec', 'turbo', 'run', 'build', '--filter=@star/testkit', '--dry=json'],
      {
        cwd: findRepoRoot(),
        encoding: 'utf8',
        env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
      },
    );
    const tasks = (JSON.parse(output) as { tasks: DryRunTask[] }).tasks;
    const build = tasks.find((task) => task.taskId === '@star/testkit#build');
    expect(build?.cache.status).toBe('HIT');
  });
});
