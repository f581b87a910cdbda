import type { StarError } from '@star/protocol';
import type { WebSocket } from 'ws';
import type { LinkOptions } from './link-options.js';

/** A frame waiting for socket space, and whom to tell once it left or was dropped. */
export interface OutboundFrame {
  data: Buffer;
  cancelled: boolean;
  onSent?: () => void;
  onDropped?: (error: StarError) => void;
}

/** Largest batch of frames sent as one message; bigger batches save nothing and delay pausing. */
const MAX_BATCH_BYTES = 256 * 1024;

/**
 * The sending side of a link. Frames produced in one event-loop turn leave as one WebSocket
 * message (frames back to back): one write and one wake-up for the peer instead of one per frame.
 * A frame is handed over only while fewer than `highWaterMarkBytes` are handed over but not yet
 * written to the kernel (ws's write callbacks say when); beyond that frames wait in a bounded queue.
 */
export class LinkOutbox {
  readonly #ws: WebSocket;
  readonly #options: Pick<LinkOptions, 'highWaterMarkBytes' | 'maxQueuedFrames' | 'maxFrameBytes'>;
  readonly #queue: OutboundFrame[] = [];
  #bytesInFlight = 0;
  readonly #batch: Buffer[] = [];
  #batchBytes = 0;
  #batchScheduled = false;

  constructor(
    ws: WebSocket,
    options: Pick<LinkOptions, 'highWaterMarkBytes' | 'maxQueuedFrames' | 'maxFrameBytes'>,
  ) {
    this.#ws = ws;
    this.#options = options;
  }

  get queuedFrames(): number {
    return this.#queue.length;
  }

  /** Bytes handed over and not yet written, including the batch being gathered. */
  get bytesInFlight(): number {
    return this.#bytesInFlight + this.#batchBytes;
  }

  /** Sends or queues a frame; false when the queue is full (`force` skips that bound, for replies). */
  enqueue(outbound: OutboundFrame, force: boolean): boolean {
    if (this.#queue.length === 0 && this.#hasRoom()) {
      this.#addToBatch(outbound);
      return true;
    }
    if (!force && this.#queue.length >= this.#options.maxQueuedFrames) return false;
    this.#queue.push(outbound);
    return true;
  }

  /** The link closed: whoever still waits on a queued frame learns it will never be sent. */
  dropAll(error: StarError): void {
    for (const outbound of this.#queue.splice(0)) {
      if (!outbound.cancelled) outbound.onDropped?.(error);
    }
  }

  #hasRoom(): boolean {
    return this.#bytesInFlight + this.#batchBytes < this.#options.highWaterMarkBytes;
  }

  #addToBatch(outbound: OutboundFrame): void {
    const limit = Math.min(this.#options.maxFrameBytes, MAX_BATCH_BYTES);
    if (this.#batchBytes > 0 && this.#batchBytes + outbound.data.length > limit) this.#sendBatch();
    this.#batch.push(outbound.data);
    this.#batchBytes += outbound.data.length;
    outbound.onSent?.();
    if (!this.#batchScheduled) {
      this.#batchScheduled = true;
      setImmediate(() => {
        this.#batchScheduled = false;
        this.#sendBatch();
      });
    }
  }

  #sendBatch(): void {
    if (this.#batch.length === 0) return;
    const data = this.#batch.length === 1 ? this.#batch[0]! : Buffer.concat(this.#batch, this.#batchBytes);
    this.#batch.length = 0;
    this.#batchBytes = 0;
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    const size = data.length;
    this.#bytesInFlight += size;
    this.#ws.send(data, { binary: true }, () => {
      this.#bytesInFlight -= size;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#queue.length > 0 && this.#hasRoom()) {
      const next = this.#queue.shift()!;
      if (!next.cancelled) this.#addToBatch(next);
    }
  }
}
