import type { LinkPool } from '@star/core';
import { type BatchOperation, type BatchResult, ChainMethods, KvLimits, StarError } from '@star/protocol';

interface Pending {
  op: BatchOperation;
  timeoutMs: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface BatchingOptions {
  /** How long an operation waits for others to the same node (ms); 0 = the current event-loop turn. */
  lingerMs: number;
  /** A batch is sent as soon as it holds this many operations. */
  maxBatch: number;
}

/**
 * Automatic batching of concurrent calls, as in the Oxia client: operations bound for the same node
 * within a short linger go as one `kv.batch` frame (one decode, one dispatch on the node, one reply),
 * each keeping its own outcome. A lone operation goes as its own request.
 */
export class NodeBatcher {
  readonly #pool: LinkPool;
  readonly #options: BatchingOptions;
  readonly #queues = new Map<string, Pending[]>();
  readonly #scheduled = new Set<string>();

  constructor(pool: LinkPool, options: BatchingOptions) {
    this.#pool = pool;
    this.#options = { ...options, maxBatch: Math.min(options.maxBatch, KvLimits.maxBatchOps) };
  }

  send<T>(address: string, op: BatchOperation, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let queue = this.#queues.get(address);
      if (queue === undefined) {
        queue = [];
        this.#queues.set(address, queue);
      }
      queue.push({ op, timeoutMs, resolve: resolve as (value: unknown) => void, reject });
      if (queue.length >= this.#options.maxBatch) this.#flush(address);
      else this.#schedule(address);
    });
  }

  #schedule(address: string): void {
    if (this.#scheduled.has(address)) return;
    this.#scheduled.add(address);
    const run = () => {
      this.#scheduled.delete(address);
      this.#flush(address);
    };
    if (this.#options.lingerMs > 0) setTimeout(run, this.#options.lingerMs);
    else setImmediate(run);
  }

  #flush(address: string): void {
    const batch = this.#queues.get(address);
    if (batch === undefined || batch.length === 0) return;
    this.#queues.delete(address);
    const client = this.#pool.client(address);
    if (batch.length === 1) {
      const [only] = batch as [Pending];
      client
        .request(only.op.method, only.op.body, { timeoutMs: only.timeoutMs })
        .then(only.resolve, only.reject);
      return;
    }
    const timeoutMs = Math.max(...batch.map((pending) => pending.timeoutMs));
    client
      .request<BatchResult[]>(ChainMethods.batch, { ops: batch.map((pending) => pending.op) }, { timeoutMs })
      .then(
        (results) => {
          batch.forEach((pending, index) => {
            const result = results[index];
            if (result === undefined)
              pending.reject(new StarError('Internal', 'batch reply is missing an outcome'));
            else if (result.ok) pending.resolve(result.value);
            else pending.reject(StarError.fromBody(result.error));
          });
        },
        (error: unknown) => {
          for (const pending of batch) pending.reject(error);
        },
      );
  }
}
