/**
 * A tail's commit hold (ChainConfig.holdMs, DESIGN §3.11): a configuration published while a node
 * leaving the chain held a read lease and could not be told makes the new tail commit nothing at
 * that term until the hold has passed since it applied the configuration. By then the leaving
 * node's lease renewal has read the new configuration and dropped the shard, or its lease has run
 * out, so it can never serve a clean read that misses a write the new chain acknowledged.
 */
export class CommitHold {
  #until = 0;
  #timer: NodeJS.Timeout | undefined;
  #pending: (() => void) | undefined;

  /** A new configuration: its hold (if any) starts now; a commit deferred under the old one is dropped. */
  start(holdMs: number | undefined): void {
    this.stop();
    this.#until = holdMs === undefined || holdMs <= 0 ? 0 : performance.now() + holdMs;
  }

  get open(): boolean {
    return performance.now() >= this.#until;
  }

  /** Runs `commit` now if the hold is over, else once when it ends (only the latest one asked for). */
  run(commit: () => void): void {
    if (this.open) {
      commit();
      return;
    }
    this.#pending = commit;
    this.#timer ??= setTimeout(
      () => {
        this.#timer = undefined;
        const pending = this.#pending;
        this.#pending = undefined;
        pending?.();
      },
      Math.ceil(this.#until - performance.now()) + 1,
    );
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = undefined;
  }
}
