interface PendingRead<T> {
  key: string;
  resolve: (value: T | Promise<T>) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers the reads that arrive in one event-loop turn and serves them together, once that turn's
 * I/O is handled: `serveAll` runs them in one go (the replica wraps them in one SQLite read
 * transaction, which saves taking and releasing a WAL read lock per lookup). Each read is decided when
 * it is served, not when it arrived — still within its request, so it stays linearizable.
 */
export class ReadBatch<T> {
  readonly #serve: (key: string) => T | Promise<T>;
  readonly #serveAll: (serveEach: () => void) => void;
  #pending: PendingRead<T>[] = [];

  /**
   * @param serve answers one read (synchronously, or with a promise for a slow path)
   * @param serveAll runs the batch's `serveEach` inside whatever should span the batch
   */
  constructor(serve: (key: string) => T | Promise<T>, serveAll: (serveEach: () => void) => void) {
    this.#serve = serve;
    this.#serveAll = serveAll;
  }

  read(key: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#pending.push({ key, resolve, reject }) === 1) setImmediate(this.#flush);
    });
  }

  readonly #flush = (): void => {
    const reads = this.#pending;
    this.#pending = [];
    const serveEach = () => {
      for (const read of reads) {
        try {
          read.resolve(this.#serve(read.key));
        } catch (error) {
          read.reject(error);
        }
      }
    };
    try {
      this.#serveAll(serveEach);
    } catch (error) {
      // The batch's frame failed (say, its transaction could not begin): every read not yet answered fails.
      for (const read of reads) read.reject(error);
    }
  };
}
