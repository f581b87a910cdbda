/**
 * Coalesced version queries to the tail (CRAQ): readers of dirty keys need the tail's commit point
 * as of some moment after they arrived. A query already in flight may have been sent before a new
 * reader arrived, so new readers join the next query, and all readers that arrive while one query
 * is out share that next one: at most two round trips cover any number of concurrent readers.
 */
export class CommitSeqQuery {
  readonly #send: () => Promise<number>;
  #inflight: Promise<number> | undefined;
  #next: { promise: Promise<number>; resolve: (v: number) => void; reject: (e: unknown) => void } | undefined;
  #roundTrips = 0;

  constructor(send: () => Promise<number>) {
    this.#send = send;
  }

  get roundTrips(): number {
    return this.#roundTrips;
  }

  fetch(): Promise<number> {
    if (this.#inflight === undefined) return this.#start();
    if (this.#next === undefined) {
      let resolve!: (v: number) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<number>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#next = { promise, resolve, reject };
    }
    return this.#next.promise;
  }

  #start(): Promise<number> {
    this.#roundTrips++;
    const query = this.#send();
    this.#inflight = query;
    const done = () => {
      this.#inflight = undefined;
      const next = this.#next;
      this.#next = undefined;
      if (next) this.#start().then(next.resolve, next.reject);
    };
    query.then(done, done);
    return query;
  }
}
