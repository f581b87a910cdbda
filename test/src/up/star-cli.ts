import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot, waitFor } from '@star/testkit';

export const REPO_ROOT = findRepoRoot();
const CLI = join(REPO_ROOT, 'packages', 'cli', 'dist', 'main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a user with no cluster settings of their own (so `up` starts its own Redis). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env))
    if (name.startsWith('STAR_') && name !== 'STAR_REDIS_SERVER') delete env[name];
  return env;
}

function run(command: string, args: string[], timeoutMs: number): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: REPO_ROOT, env: cleanEnv(), timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The built CLI (`node packages/cli/dist/main.js ...`), as `./star` runs it after its checks. */
export function star(args: string[], timeoutMs = 90_000): Promise<CliResult> {
  return run(process.execPath, [CLI, ...args], timeoutMs);
}

/** The `./star` launcher itself, as a user types it. */
export function launcher(args: string[], timeoutMs = 90_000): Promise<CliResult> {
  return run(join(REPO_ROOT, 'star'), args, timeoutMs);
}

export interface RecordedService {
  name: string;
  kind: string;
  pid: number | null;
  port: number;
  url: string;
}

export interface RecordedCluster {
  gatewayUrl: string;
  managerUrls: string[];
  adminKey: string;
  services: Record<string, RecordedService>;
}

export function readCluster(dataDir: string): RecordedCluster {
  return JSON.parse(readFileSync(join(dataDir, 'cluster.json'), 'utf8')) as RecordedCluster;
}

export function pidsOf(cluster: RecordedCluster): number[] {
  return Object.values(cluster.services)
    .map((service) => service.pid)
    .filter((pid): pid is number => pid !== null);
}

export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits until none of `pids` exists any more (a stopped process is reaped by init within moments). */
export async function waitGone(pids: number[]): Promise<void> {
  await waitFor(() => pids.every((pid) => !processExists(pid)), {
    description: `processes ${pids.join(', ')} to be gone`,
    timeoutMs: 10_000,
  });
}

/** Last resort in afterAll: kills whatever a failed test left running. */
export function killLeftovers(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** A JSON (or text) call with the admin key. */
export async function call(
  url: string,
  key: string | undefined,
  init: { method?: string; body?: string } = {},
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
    ...(init.body === undefined ? {} : { body: init.body }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, text: await response.text() };
}

export interface StatusRow {
  name: string;
  state: 'healthy' | 'unhealthy' | 'down';
  pid: number | null;
  role: string;
}

export async function statusJson(dataDir: string): Promise<{ code: number; rows: StatusRow[] }> {
  const result = await star(['status', '--json', '--data-dir', dataDir]);
  return { code: result.code, rows: (JSON.parse(result.stdout) as { services: StatusRow[] }).services };
}
