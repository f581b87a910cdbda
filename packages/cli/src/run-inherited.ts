import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs a command sharing our terminal and resolves with its exit code (128 + n if killed by signal n).
 * Signals sent to us are passed on, so stopping `star` also stops what it started.
 */
export function runInherited(command: string, args: string[], options: { cwd: string }): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    const finish = (code: number) => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
      resolve(code);
    };
    child.once('error', (error) => {
      process.stderr.write(`star: could not run ${command}: ${error.message}\n`);
      finish(127);
    });
    child.once('exit', (code, signal) => finish(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}
