/**
 * Ack notices from the successor that arrive in one event-loop turn, applied together once that turn's
 * I/O is handled: one commit transaction (and fewer distinct pages written) instead of one per ack.
 * Only the highest ack counts. `drop()` forgets a pending one (on a reconfiguration or truncation the
 * next handshake reports the successor's commit point anew).
 */
export class PendingAck {
  readonly #apply: (commitSeq: number) => void;
  #commitSeq = 0;
  #scheduled = false;

  /** @param apply commits up to the ack; it runs outside any request, so it must not throw */
  constructor(apply: (commitSeq: number) => void) {
    this.#apply = apply;
  }

  offer(commitSeq: number): void {
    if (commitSeq <= this.#commitSeq) return;
    this.#commitSeq = commitSeq;
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const acked = this.#commitSeq;
      this.#commitSeq = 0;
      if (acked > 0) this.#apply(acked);
    });
  }

  drop(): void {
    this.#commitSeq = 0;
  }
}
