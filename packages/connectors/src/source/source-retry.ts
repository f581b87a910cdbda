import pRetry from 'p-retry';
import type { ConnectorContext } from '../model/connector.js';
import { maskSecrets } from './source-errors.js';

/** Network-level failures worth another try whatever the source. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
]);

export const DEFAULT_RETRY = { retries: 3, minTimeoutMs: 100, maxTimeoutMs: 2_000 };

export function isTransientNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code);
}

/**
 * Runs a source call with exponential backoff and jitter (p-retry: factor 2, randomized) when it
 * fails transiently; a permanent failure (bad SQL, wrong password) is thrown at once.
 */
export async function withSourceRetry<T>(
  context: ConnectorContext,
  secrets: readonly string[],
  isTransient: (error: unknown) => boolean,
  call: () => Promise<T>,
): Promise<T> {
  const policy = context.retry ?? DEFAULT_RETRY;
  return pRetry(call, {
    retries: policy.retries,
    factor: 2,
    minTimeout: policy.minTimeoutMs,
    maxTimeout: policy.maxTimeoutMs,
    randomize: true,
    shouldRetry: ({ error }) => isTransient(error),
    onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
      if (retriesLeft > 0 && isTransient(error)) {
        context.onRetry?.({
          catalog: context.catalog,
          attempt: attemptNumber,
          error: maskSecrets(error.message, secrets),
        });
      }
    },
  });
}
