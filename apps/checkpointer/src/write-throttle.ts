import { setTimeout as delay } from 'node:timers/promises';

/**
 * Paces a writer to a byte rate, so a checkpoint never takes the whole disk from the nodes and
 * managers sharing it. `pace(bytesSoFar)` waits until that many bytes are due; 0 means no limit.
 */
export class WriteThrottle {
  readonly #bytesPerSec: number;
  readonly #started = performance.now();

  constructor(bytesPerSec: number) {
    this.#bytesPerSec = bytesPerSec;
  }

  /** A chunk size that keeps pacing smooth: a tenth of a second's worth, at most `max`. */
  chunkBytes(max: number): number {
    return this.#bytesPerSec > 0 ? Math.max(1024, Math.min(max, Math.floor(this.#bytesPerSec / 10))) : max;
  }

  async pace(bytesSoFar: number): Promise<void> {
    if (this.#bytesPerSec <= 0) return;
    const dueAtMs = (bytesSoFar / this.#bytesPerSec) * 1000;
    const waitMs = dueAtMs - (performance.now() - this.#started);
    if (waitMs > 0) await delay(waitMs);
  }
}
