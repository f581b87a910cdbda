import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { findRepoRoot, waitFor } from '@star/testkit';

const CLI = join(findRepoRoot(), 'packages', 'cli', 'dist', 'main.js');

export interface StarRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes, for values that are not text. */
  bytes: Buffer;
}

/** The environment a CLI run starts from: this process's, minus any Star target or key. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = { ...process.env };
  for (const name of ['STAR_GATEWAY_URL', 'STAR_MANAGER_URL', 'STAR_API_KEY']) delete clean[name];
  return { ...clean, ...env };
}

/** Runs the built `star` CLI to its end; its exit code, stdout and stderr. */
export function star(
  args: string[],
  options: { env?: Record<string, string>; stdin?: string | Uint8Array } = {},
): Promise<StarRun> {
  return new Promise((resolve) => {
    const child = execFile(
      'node',
      [CLI, ...args],
      { env: cleanEnv(options.env ?? {}), timeout: 30_000, encoding: 'buffer' },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8'), bytes: stdout });
      },
    );
    if (options.stdin !== undefined) child.stdin!.end(options.stdin);
    else child.stdin!.end();
  });
}

/** A `star` process left running (like `star kv watch`), its output collected as it comes. */
export class RunningStar {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number>;
  readonly #child: ChildProcess;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.#child = spawn('node', [CLI, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child.stdout!.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString('utf8');
    });
    this.#child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    this.exited = new Promise((resolve) =>
      this.#child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : -1))),
    );
  }

  /** stdout's complete lines. */
  get lines(): string[] {
    return this.stdout.split('\n').filter((line) => line !== '');
  }

  async waitForStderr(pattern: RegExp, timeoutMs = 15_000): Promise<void> {
    await waitFor(() => pattern.test(this.stderr), {
      description: `star to print ${pattern} (stderr so far: ${this.stderr})`,
      timeoutMs,
    });
  }

  async waitForLines(count: number, timeoutMs = 15_000): Promise<string[]> {
    await waitFor(() => this.lines.length >= count, {
      description: `${count} lines from star (so far: ${this.stdout}; stderr: ${this.stderr})`,
      timeoutMs,
    });
    return this.lines;
  }

  /** Ctrl-C, then the exit code. */
  interrupt(): Promise<number> {
    this.#child.kill('SIGINT');
    return this.exited;
  }

  kill(): void {
    if (this.#child.exitCode === null) this.#child.kill('SIGKILL');
  }
}
