import type { ReadPolicy } from './options.js';

/** What every load worker is started with. */
export interface WorkerSetup {
  index: number;
  /** The chain, head first: writes go to `nodes[0]`, reads to any. */
  nodes: { id: string; address: string }[];
  shard: number;
  clientsPerNode: number;
  valueBytes: number;
  requestIds: boolean;
  timeoutMs: number;
}

/** Closed loop: `slots` requests in flight until `measureEndMs`; only those done in the window count. */
export interface RunTask {
  type: 'run';
  slots: number;
  readRatio: number;
  keyPrefix: string;
  keyCount: number;
  readPolicy: ReadPolicy;
  /** Wall-clock (epoch ms) bounds of the measured window. */
  measureStartMs: number;
  measureEndMs: number;
}

/** Writes keys `[from, to)` with `slots` writes in flight. */
export interface LoadTask {
  type: 'load';
  slots: number;
  keyPrefix: string;
  from: number;
  to: number;
}

export type WorkerTask = RunTask | LoadTask | { type: 'close' };

/** Operations of one kind a worker completed in the measured window. */
export interface OpTally {
  ok: number;
  /** Failures by error code. */
  errors: Record<string, number>;
  /** Encoded HDR histogram of successful operations' latency in µs. */
  histogram: string;
}

export interface RunResult {
  reads: OpTally;
  writes: OpTally;
  /** Successful reads per node id (the client's view of the spread). */
  readsByNode: Record<string, number>;
  /** Reads of preloaded keys that came back not found (should be 0). */
  readsNotFound: number;
}

export interface LoadResult {
  written: number;
  errors: Record<string, number>;
  histogram: string;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'progress'; done: number }
  | { type: 'run-done'; result: RunResult }
  | { type: 'load-done'; result: LoadResult }
  | { type: 'failed'; message: string };

export function keyOf(prefix: string, index: number): string {
  return `${prefix}${index.toString().padStart(8, '0')}`;
}
