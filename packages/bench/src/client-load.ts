import type { StarClient } from '@star/client';
import { StarError } from '@star/protocol';
import type { LoadResult } from './http-load.js';
import { latencyHistogram, summarize } from './latency.js';

/**
 * Closed-loop load through the client library: `callers` concurrent loops, each awaiting its call
 * (`call`, e.g. a get or put of a random key) before making the next, for `durationS`. Concurrent
 * calls to one node are batched by the client's own linger batching, as in an application.
 */
export async function runClientLoad(params: {
  client: StarClient;
  callers: number;
  durationS: number;
  call: (client: StarClient) => Promise<unknown>;
}): Promise<LoadResult> {
  const histogram = latencyHistogram();
  const failures: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + params.durationS * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      try {
        await params.call(params.client);
        histogram.recordValue(Math.max(1, Math.round((performance.now() - sent) * 1000)));
      } catch (error) {
        const code = error instanceof StarError ? error.code : 'error';
        failures[code] = (failures[code] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: params.callers }, loop));
  const seconds = (performance.now() - started) / 1000;
  return {
    requestsPerS: histogram.totalCount / seconds,
    ok: histogram.totalCount,
    failures,
    latency: summarize(histogram),
    seconds,
  };
}
