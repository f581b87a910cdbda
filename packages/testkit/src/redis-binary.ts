import { spawn } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import which from 'which';

export const REDIS_INSTALL_HINT =
  'redis-server is required to run the tests. Install it with `sudo apt-get install -y redis-server` ' +
  '(Debian/Ubuntu), or set STAR_REDIS_SERVER to the path of a redis-server binary.';

/** Shared so that concurrent callers run apt-get at most once. */
let pendingInstall: Promise<string> | undefined;

/**
 * The path of a `redis-server` binary: $STAR_REDIS_SERVER, else the one on PATH, else (as root on
 * Debian/Ubuntu) one installed with apt-get.
 */
export async function ensureRedisServer(): Promise<string> {
  const configured = process.env.STAR_REDIS_SERVER;
  if (configured) {
    if (await isExecutable(configured)) return configured;
    throw new Error(`STAR_REDIS_SERVER=${configured} is not an executable file. ${REDIS_INSTALL_HINT}`);
  }
  const found = await findRedisServer();
  if (found) return found;
  if (!(await canInstallWithApt())) throw new Error(REDIS_INSTALL_HINT);
  pendingInstall ??= installWithApt().finally(() => {
    pendingInstall = undefined;
  });
  return pendingInstall;
}

async function installWithApt(): Promise<string> {
  process.stderr.write('redis-server not found; installing it with apt-get (running as root)...\n');
  await runToStderr('apt-get', ['update']);
  await runToStderr('apt-get', ['install', '-y', 'redis-server']);
  const installed = await findRedisServer();
  if (!installed) {
    throw new Error(`apt-get installed redis-server but it is still not found. ${REDIS_INSTALL_HINT}`);
  }
  return installed;
}

/** Where distro packages put it, for environments whose PATH is trimmed (e.g. no /usr/sbin). */
const WELL_KNOWN_PATHS = ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/usr/sbin/redis-server'];

async function findRedisServer(): Promise<string | undefined> {
  const onPath = await which('redis-server', { nothrow: true });
  if (onPath) return onPath;
  for (const candidate of WELL_KNOWN_PATHS) {
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

async function canInstallWithApt(): Promise<boolean> {
  const isRoot = process.getuid?.() === 0;
  const isDebianLike = existsSync('/etc/debian_version');
  return isRoot && isDebianLike && (await which('apt-get', { nothrow: true })) !== null;
}

/** Runs a command with its output on our stderr, so progress shows without polluting stdout. */
function runToStderr(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', process.stderr, process.stderr],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${command} ${args.join(' ')} failed (${signal ?? `exit code ${code}`}). ${REDIS_INSTALL_HINT}`,
          ),
        );
    });
  });
}
