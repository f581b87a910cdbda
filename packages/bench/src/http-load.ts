import autocannon from 'autocannon';
import { type LatencySummary, latencyHistogram, summarize } from './latency.js';

/** One measured window of load, from autocannon or the client library: the same fields for both. */
export interface LoadResult {
  /** Successful (2xx, or resolved) requests per second over the window. */
  requestsPerS: number;
  ok: number;
  /** Failures by kind: HTTP status or error code. */
  failures: Record<string, number>;
  latency: LatencySummary;
  seconds: number;
}

export interface HttpLoad {
  url: string;
  connections: number;
  durationS: number;
  method: 'GET' | 'PUT';
  headers: Record<string, string>;
  /** The path of the next request (a random key each time). */
  nextPath: () => string;
  body?: Buffer;
}

/**
 * Closed-loop HTTP load with autocannon: `connections` keep-alive connections, each sending its next
 * request when the last one answered, for `durationS`. Latencies of 2xx answers are recorded here
 * at microsecond resolution (autocannon's own histogram has 1 ms buckets).
 */
export function runHttpLoad(load: HttpLoad): Promise<LoadResult> {
  const histogram = latencyHistogram();
  const failures: Record<string, number> = {};
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: load.url,
        connections: load.connections,
        duration: load.durationS,
        requests: [
          {
            method: load.method,
            headers: load.headers,
            ...(load.body === undefined ? {} : { body: load.body }),
            setupRequest: (request) => ({ ...request, path: load.nextPath() }),
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        if (result.errors > 0) failures.error = (failures.error ?? 0) + result.errors;
        if (result.timeouts > 0) failures.timeout = (failures.timeout ?? 0) + result.timeouts;
        const seconds = result.duration;
        resolve({
          requestsPerS: histogram.totalCount / seconds,
          ok: histogram.totalCount,
          failures,
          latency: summarize(histogram),
          seconds,
        });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
      else failures[status] = (failures[status] ?? 0) + 1;
    });
  });
}
