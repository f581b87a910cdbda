import { execFileSync, spawn } from 'node:child_process';

/**
 * Runs one command of the lab (ip, tc, nft) to completion and returns its stdout; rejects with the
 * command line and its stderr, so a failed step says exactly what the kernel refused.
 */
export function run(command: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else
        reject(
          new Error(
            `${command} ${args.join(' ')} failed (${signal ?? `exit code ${code}`}): ${stderr.trim()}`,
          ),
        );
    });
    // A command that fails before reading its input closes the pipe: its exit code tells why.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input);
  });
}

/** `run` that ignores failure: for removing what may already be gone. */
export async function runQuietly(command: string, args: string[], input?: string): Promise<void> {
  await run(command, args, input).catch(() => {});
}

/** The synchronous kind, for clean-up in an exit hook (no event loop left there). */
export function runSyncQuietly(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 10_000 });
  } catch {
    // Already gone, or nothing to do.
  }
}
