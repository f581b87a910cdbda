import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { reapOnExit } from './child-reaper.js';
import { LineBuffer } from './line-buffer.js';
import { defaultLogFile } from './log-file.js';

export interface StartProcessOptions {
  /** Names the process in log files and error messages. */
  name: string;
  command: string;
  args?: string[];
  /** Added to (and overriding) this process's environment. */
  env?: Record<string, string>;
  cwd?: string;
  /** Appended to; defaults to a fresh file under $STAR_LOG_DIR or <tmp>/star-logs. */
  logFile?: string;
  /**
   * Runs the process inside this network namespace (a network lab host): nsenter enters the
   * namespace and execs the command, so `pid` and signals are still the command's own.
   */
  netns?: string;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  readonly pid: number;
  readonly name: string;
  readonly logFile: string;
  /** The last ~200 lines of stdout and stderr, interleaved as they arrived. */
  logs(): string;
  /** Resolves with the match once a log line matches; rejects on timeout or if the process exits first. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL if still running after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<ProcessExit>;
  /** Sends `signal` (default SIGKILL); await `exited` to see it end. */
  kill(signal?: NodeJS.Signals): void;
  /** SIGSTOP: the process stops being scheduled, as if the machine froze. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  readonly exited: Promise<ProcessExit>;
  isRunning(): boolean;
}

const LOG_LINES_KEPT = 200;
/** How long to wait for stdout/stderr to drain after the process itself has exited. */
const OUTPUT_DRAIN_MS = 1_000;

/** Spawns a child whose output is captured, and which is SIGKILLed if the test process ends first. */
export function startProcess(options: StartProcessOptions): ServiceProcess {
  const { name } = options;
  const { command, args } =
    options.netns === undefined
      ? { command: options.command, args: options.args ?? [] }
      : {
          command: 'nsenter',
          args: [`--net=/run/netns/${options.netns}`, '--', options.command, ...(options.args ?? [])],
        };
  const logFile = options.logFile ?? defaultLogFile(name);
  mkdirSync(dirname(logFile), { recursive: true });

  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let spawnError: Error | undefined;
  child.on('error', (error) => {
    spawnError = error;
  });
  if (child.pid === undefined) {
    throw new Error(`[${name}] could not start ${command}: spawn failed (is it installed and executable?)`);
  }
  const pid = child.pid;
  reapOnExit(child);

  const buffer = new LineBuffer(LOG_LINES_KEPT);
  const logStream = createWriteStream(logFile, { flags: 'a' });
  for (const stream of [child.stdout, child.stderr] as Readable[]) {
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
      buffer.push(line);
      logStream.write(`${line}\n`);
    });
  }

  let exit: ProcessExit | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    const settle = (code: number | null, signal: NodeJS.Signals | null) => {
      exit ??= { code, signal };
      resolve(exit);
    };
    // 'close' comes after the output is drained; 'exit' plus a grace period covers
    // grandchildren that keep the pipes open.
    child.once('close', settle);
    child.once('exit', (code, signal) => {
      exit ??= { code, signal };
      setTimeout(() => settle(code, signal), OUTPUT_DRAIN_MS).unref();
    });
  });
  void exited.then(() => logStream.end());

  const isRunning = () => exit === undefined;
  const signalIfRunning = (signal: NodeJS.Signals) => {
    if (isRunning()) child.kill(signal);
  };

  const describe = () => `[${name} pid ${pid}] last output:\n${buffer.text() || '(none)'}`;

  const waitForLog = (pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      // A global regex carries lastIndex between calls; matching needs a stateless copy.
      const matcher = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
      const seen = buffer
        .lines()
        .map((line) => line.match(matcher))
        .find((match) => match !== null);
      if (seen) return resolve(seen);
      const finish = (outcome: () => void) => {
        clearTimeout(timer);
        unsubscribe();
        outcome();
      };
      const unsubscribe = buffer.onLine((line) => {
        const match = line.match(matcher);
        if (match) finish(() => resolve(match));
      });
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(new Error(`Timed out after ${timeoutMs}ms waiting for log ${pattern} from ${describe()}`)),
          ),
        timeoutMs,
      );
      void exited.then((how) => {
        const reason = spawnError ? `failed: ${spawnError.message}` : `exited (${formatExit(how)})`;
        finish(() => reject(new Error(`${name} ${reason} before logging ${pattern}; ${describe()}`)));
      });
    });

  const stop = async (timeoutMs = 10_000): Promise<ProcessExit> => {
    if (!isRunning()) return exited;
    child.kill('SIGTERM');
    // A paused process only acts on SIGTERM once continued.
    child.kill('SIGCONT');
    const timer = setTimeout(() => signalIfRunning('SIGKILL'), timeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    pid,
    name,
    logFile,
    logs: () => buffer.text(),
    waitForLog,
    stop,
    kill: (signal = 'SIGKILL') => signalIfRunning(signal),
    pause: () => signalIfRunning('SIGSTOP'),
    resume: () => signalIfRunning('SIGCONT'),
    exited,
    isRunning,
  };
}

export function formatExit(how: ProcessExit): string {
  return how.signal ? `signal ${how.signal}` : `code ${how.code}`;
}
