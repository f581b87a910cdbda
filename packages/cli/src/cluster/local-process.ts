import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { sleep } from '@star/testkit';

/** A process this CLI started: its pid and kernel start time, which together name it uniquely. */
export interface ProcessIdentity {
  pid: number;
  procStart: number | null;
}

/**
 * The start time of `pid` in clock ticks since boot, from /proc/<pid>/stat (field 22), or
 * undefined when there is no such process or it is a zombie (dead, waiting to be reaped).
 * Null where /proc does not exist (then only the pid can be checked).
 */
export function procStartOf(pid: number): number | null | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && readableProc()) return undefined;
    return signalable(pid) ? null : undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return Number(fields[19]);
}

function readableProc(): boolean {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
}

function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when the process recorded as `identity` still runs: the pid exists and, where /proc tells,
 * started at the recorded time. A pid file left by a crash whose pid now belongs to some other
 * process therefore reads as "not running" (a stale pid file), never as ours.
 */
export function isRunning(identity: ProcessIdentity | { pid: null }): boolean {
  if (identity.pid === null) return false;
  const start = procStartOf(identity.pid);
  if (start === undefined) return false;
  return start === null || !('procStart' in identity) || identity.procStart === null
    ? true
    : start === identity.procStart;
}

export interface LaunchSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  logFile: string;
}

/**
 * Starts one process detached: in its own session (a Ctrl-C at the terminal does not reach it; the
 * CLI stops services itself, in order), with stdout and stderr appended to its log file, and not
 * waited for, so it outlives the CLI that started it.
 */
export function launchDetached(spec: LaunchSpec): ProcessIdentity {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const log = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      env: { ...process.env, ...spec.env },
      detached: true,
      stdio: ['ignore', log, log],
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    child.unref();
    return { pid: child.pid, procStart: procStartOf(child.pid) ?? null };
  } finally {
    closeSync(log);
  }
}

/**
 * Stops a process: SIGTERM (every Star service drains and exits; Redis fsyncs and exits), then
 * SIGKILL if it is still there after `graceMs`. Resolves once it is gone.
 */
export async function stopProcess(
  identity: ProcessIdentity,
  graceMs = 10_000,
): Promise<'stopped' | 'killed' | 'not running'> {
  if (!isRunning(identity)) return 'not running';
  signal(identity.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(identity)) return 'stopped';
    await sleep(50);
  }
  signal(identity.pid, 'SIGKILL');
  while (isRunning(identity)) await sleep(50);
  return 'killed';
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
