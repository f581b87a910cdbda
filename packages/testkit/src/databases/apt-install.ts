import { spawn } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import which from 'which';

/** One apt-get run at a time per process, so parallel callers do not fight over dpkg's lock. */
let aptQueue: Promise<unknown> = Promise.resolve();

export function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

export async function canInstallWithApt(): Promise<boolean> {
  const isRoot = process.getuid?.() === 0;
  return isRoot && existsSync('/etc/debian_version') && (await which('apt-get', { nothrow: true })) !== null;
}

/**
 * Finds a server's binaries with `find`; when they are missing and this process is root on a
 * Debian-like system, installs `aptPackage` and looks again; otherwise fails with `hint`.
 */
export async function findOrInstall<T>(params: {
  find: () => Promise<T | undefined>;
  aptPackage: string;
  hint: string;
}): Promise<T> {
  const found = await params.find();
  if (found !== undefined) return found;
  if (!(await canInstallWithApt())) throw new Error(params.hint);
  const install = aptQueue.then(async () => {
    if ((await params.find()) !== undefined) return;
    process.stderr.write(`${params.aptPackage} not found; installing it with apt-get (running as root)...\n`);
    await runToStderr('apt-get', ['update'], params.hint);
    await runToStderr(
      'apt-get',
      // Other test processes may be installing too: wait for dpkg's lock instead of failing on it.
      ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', params.aptPackage],
      params.hint,
    );
  });
  aptQueue = install.catch(() => {});
  await install;
  const installed = await params.find();
  if (installed === undefined)
    throw new Error(`apt-get installed ${params.aptPackage} but it is still not found. ${params.hint}`);
  return installed;
}

/** Runs a command with its output on our stderr, so progress shows without polluting stdout. */
export function runToStderr(command: string, args: string[], hint = ''): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', process.stderr, process.stderr],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit code ${code}`}). ${hint}`));
    });
  });
}

/** Runs a command to completion and returns its combined output; rejects with that output on failure. */
export function runCaptured(
  command: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(output);
      else
        reject(
          new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit code ${code}`}):\n${output}`),
        );
    });
  });
}
