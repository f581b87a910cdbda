import { sleep } from './sleep.js';

export type Falsy = undefined | null | false;

export interface WaitForOptions {
  /** Says what is awaited; it names the failure when the wait times out. */
  description: string;
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns a truthy value, and returns that value.
 * A probe that throws counts as "not yet"; its last error is reported on timeout.
 */
export async function waitFor<T>(
  probe: () => Promise<T | Falsy> | T | Falsy,
  options: WaitForOptions,
): Promise<T> {
  const { description, timeoutMs = 10_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const remainingMs = deadline - Date.now();
    try {
      // A probe that hangs must not hold the wait past its deadline.
      const value = await withTimeout(Promise.resolve().then(probe), Math.max(remainingMs, 1));
      if (value) return value;
    } catch (error) {
      // A probe cut off by the deadline says less than the real error an earlier attempt gave.
      if (!(error instanceof ProbeDeadlineError) || lastError === undefined) lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError === undefined ? '' : `; last error: ${describeError(lastError)}`;
      throw new Error(`Timed out after ${timeoutMs}ms waiting for ${description}${cause}`, {
        cause: lastError,
      });
    }
    await sleep(Math.min(intervalMs, Math.max(deadline - Date.now(), 0)));
  }
}

class ProbeDeadlineError extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeDeadlineError(`probe did not settle within ${ms}ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
