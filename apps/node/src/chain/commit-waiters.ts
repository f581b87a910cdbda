import type { StarError } from '@star/protocol';

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (error: StarError) => void;
}

/** Callers waiting for the commit point to reach a seq; released in seq order as it advances. */
export class CommitWaiters {
  /** Sorted by seq; the head assigns increasing seqs, so inserts are almost always appends. */
  readonly #waiters: Waiter[] = [];

  get size(): number {
    return this.#waiters.length;
  }

  wait(seq: number, committed: number): Promise<void> {
    if (seq <= committed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { seq, resolve, reject };
      let index = this.#waiters.length;
      while (index > 0 && this.#waiters[index - 1]!.seq > seq) index--;
      this.#waiters.splice(index, 0, waiter);
    });
  }

  release(committed: number): void {
    let count = 0;
    while (count < this.#waiters.length && this.#waiters[count]!.seq <= committed) count++;
    for (const waiter of this.#waiters.splice(0, count)) waiter.resolve();
  }

  /** Rejects the waiters on seqs above `seq` (seqs that will be assigned again), keeps the others. */
  rejectAbove(seq: number, error: StarError): void {
    let keep = this.#waiters.length;
    while (keep > 0 && this.#waiters[keep - 1]!.seq > seq) keep--;
    for (const waiter of this.#waiters.splice(keep)) waiter.reject(error);
  }

  rejectAll(error: StarError): void {
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }
}
