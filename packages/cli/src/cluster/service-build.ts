import { spawn } from 'node:child_process';
import { ServiceNames } from '@star/protocol';

/**
 * Builds every service (and what it depends on) with turbo; unchanged packages come from turbo's
 * cache, so this is quick after the first time. Output goes to stderr, keeping stdout for results.
 */
export function buildServices(repoRoot: string): Promise<number> {
  const filters = ServiceNames.map((name) => `--filter=@star/${name}`);
  return new Promise((resolve) => {
    const child = spawn('pnpm', ['exec', 'turbo', 'run', 'build', ...filters, '--output-logs=errors-only'], {
      cwd: repoRoot,
      stdio: ['ignore', process.stderr, process.stderr],
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: process.env.TURBO_TELEMETRY_DISABLED ?? '1' },
    });
    child.once('error', (error) => {
      process.stderr.write(`star: could not run pnpm: ${error.message}\n`);
      resolve(127);
    });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}
