import { waitFor } from './wait-for.js';

/** Longest a single /health request may take before the next attempt. */
const ATTEMPT_TIMEOUT_MS = 2_000;

/** Polls `GET <url>/health` until it answers 200, then returns its parsed JSON body. */
export async function waitForHealth<T = unknown>(url: string, timeoutMs = 10_000): Promise<T> {
  const healthUrl = `${url.replace(/\/+$/, '')}/health`;
  return waitFor(
    async () => {
      const response = await fetch(healthUrl, { signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${body.slice(0, 200)}`);
      // Wrapped so that a falsy JSON body (0, null, false) still ends the wait.
      return { body: (body === '' ? undefined : JSON.parse(body)) as T };
    },
    { description: `${healthUrl} to answer 200`, timeoutMs, intervalMs: 100 },
  ).then((result) => result.body);
}
