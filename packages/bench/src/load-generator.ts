import { Worker } from 'node:worker_threads';
import type {
  LoadResult,
  LoadTask,
  RunResult,
  RunTask,
  WorkerMessage,
  WorkerSetup,
  WorkerTask,
} from './worker-protocol.js';

type Settle = { resolve: (message: WorkerMessage) => void; reject: (error: Error) => void };

/** One load worker thread and the task it is on. */
class LoadWorker {
  readonly worker: Worker;
  done = 0;
  #waiting: Settle | undefined;
  #exited: Error | undefined;

  constructor(setup: WorkerSetup) {
    this.worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: setup });
    this.worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') {
        this.done = message.done;
        return;
      }
      const waiting = this.#waiting;
      this.#waiting = undefined;
      if (message.type === 'failed')
        waiting?.reject(new Error(`load worker ${setup.index}: ${message.message}`));
      else waiting?.resolve(message);
    });
    this.worker.on('error', (error) => this.#fail(error));
    this.worker.on('exit', (code) => this.#fail(new Error(`load worker ${setup.index} exited (${code})`)));
  }

  #fail(error: Error): void {
    this.#exited ??= error;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(error);
  }

  /** Resolves with the worker's next non-progress message. */
  next(): Promise<WorkerMessage> {
    if (this.#exited) return Promise.reject(this.#exited);
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }

  send(task: WorkerTask): Promise<WorkerMessage> {
    const reply = this.next();
    this.done = 0;
    this.worker.postMessage(task);
    return reply;
  }
}

/** Splits `total` into `parts` integers that differ by at most one. */
export function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/**
 * The load generator: worker threads, each with its own connections to every node, driving closed
 * loops (a new request as soon as one completes) or bulk loads, and reporting progress.
 */
export class LoadGenerator {
  readonly #workers: LoadWorker[];

  private constructor(workers: LoadWorker[]) {
    this.#workers = workers;
  }

  static async start(count: number, setup: Omit<WorkerSetup, 'index'>): Promise<LoadGenerator> {
    const workers = Array.from({ length: count }, (_, index) => new LoadWorker({ ...setup, index }));
    const generator = new LoadGenerator(workers);
    try {
      await Promise.all(
        workers.map(async (worker) => {
          const message = await worker.next();
          if (message.type !== 'ready') throw new Error(`load worker said ${message.type} before ready`);
        }),
      );
    } catch (error) {
      await generator.close();
      throw error;
    }
    return generator;
  }

  /** Operations completed so far in the current task, over all workers (updated once a second). */
  get done(): number {
    return this.#workers.reduce((sum, worker) => sum + worker.done, 0);
  }

  async run(task: Omit<RunTask, 'type' | 'slots'>, concurrency: number): Promise<RunResult[]> {
    const slots = split(concurrency, this.#workers.length);
    const replies = await Promise.all(
      this.#workers.map((worker, i) => worker.send({ type: 'run', slots: slots[i]!, ...task })),
    );
    return replies.map((reply) => {
      if (reply.type !== 'run-done') throw new Error(`expected run-done, got ${reply.type}`);
      return reply.result;
    });
  }

  /** Writes keys `[0, count)` under `keyPrefix`, the range split between the workers. */
  async load(keyPrefix: string, count: number, concurrency: number): Promise<LoadResult[]> {
    const ranges = split(count, this.#workers.length);
    const slots = split(concurrency, this.#workers.length);
    let from = 0;
    const tasks: LoadTask[] = ranges.map((size, i) => {
      const task: LoadTask = { type: 'load', keyPrefix, from, to: from + size, slots: slots[i]! };
      from += size;
      return task;
    });
    const replies = await Promise.all(this.#workers.map((worker, i) => worker.send(tasks[i]!)));
    return replies.map((reply) => {
      if (reply.type !== 'load-done') throw new Error(`expected load-done, got ${reply.type}`);
      return reply.result;
    });
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#workers.map(async (worker) => {
        if (worker.worker.threadId === -1) return;
        const exited = new Promise((resolve) => worker.worker.once('exit', resolve));
        worker.worker.postMessage({ type: 'close' } satisfies WorkerTask);
        const timer = setTimeout(() => void worker.worker.terminate(), 3_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
