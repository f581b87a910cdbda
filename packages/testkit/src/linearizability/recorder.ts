import { performance } from 'node:perf_hooks';
import type {
  ClientId,
  FailOutput,
  Operation,
  OperationInputs,
  OperationOutputs,
  OperationType,
} from './history.js';
import { historyToJsonLines } from './json-lines.js';

/** The pending side of one recorded operation: complete it exactly once. */
export interface OperationHandle<T extends OperationType = OperationType> {
  readonly id: number;
  /** Completed with a known output. */
  ok(output: OperationOutputs[T]): void;
  /** Completed and definitely without effect (for cas/delete: by default, its precondition did not hold). */
  fail(output?: FailOutput): void;
  /** Indeterminate: timed out or the connection was lost; it may or may not take effect. */
  info(): void;
}

export interface HistoryRecorderOptions {
  /** Monotonic clock for invocation and completion times; `performance.now()` by default. */
  clock?: () => number;
}

interface Pending {
  id: number;
  client: ClientId;
  key: string;
  type: OperationType;
  input: OperationInputs[OperationType];
  invokedAt: number;
}

/**
 * Records a history as clients run: `invoke` before sending a request, then complete its handle
 * with `ok`, `fail` or `info`. Operations still pending when the history is read count as `info`.
 */
export class HistoryRecorder {
  readonly #clock: () => number;
  readonly #completed: Operation[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;

  constructor(options: HistoryRecorderOptions = {}) {
    this.#clock = options.clock ?? (() => performance.now());
  }

  invoke<T extends OperationType>(
    client: ClientId,
    key: string,
    type: T,
    input: OperationInputs[T],
  ): OperationHandle<T> {
    const pending: Pending = { id: this.#nextId++, client, key, type, input, invokedAt: this.#clock() };
    this.#pending.set(pending.id, pending);
    const complete = (finish: (base: Pending, at: number) => Operation): void => {
      if (!this.#pending.delete(pending.id)) {
        throw new Error(`operation ${pending.id} (${type} ${key}) was already completed`);
      }
      this.#completed.push(finish(pending, this.#clock()));
    };
    return {
      id: pending.id,
      ok: (output) =>
        complete((base, at) => ({ ...base, outcome: 'ok', output, completedAt: at }) as Operation),
      fail: (output) =>
        complete(
          (base, at) =>
            ({
              ...base,
              outcome: 'fail',
              ...(output === undefined ? {} : { output }),
              completedAt: at,
            }) as Operation,
        ),
      info: () => complete((base, at) => ({ ...base, outcome: 'info', completedAt: at }) as Operation),
    };
  }

  /** Operations invoked so far, by invocation order; those still pending are reported as `info`. */
  operations(): Operation[] {
    const ops: Operation[] = [...this.#completed];
    for (const pending of this.#pending.values()) ops.push({ ...pending, outcome: 'info' } as Operation);
    return ops.sort((a, b) => a.id - b.id);
  }

  /** How many operations are invoked and not yet completed. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  toJsonLines(): string {
    return historyToJsonLines(this.operations());
  }
}
