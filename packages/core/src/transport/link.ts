import { EventEmitter } from 'node:events';
import {
  type ErrorBody,
  type Frame,
  FrameType,
  LinkCloseCode,
  type NotifyFrame,
  type RequestFrame,
  StarError,
} from '@star/protocol';
import type { FastifyBaseLogger as Logger } from 'fastify';
import { pino } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { decodeFrames, encodeFrame, FrameDecodeError } from './frame-codec.js';
import { type LinkOptions, resolveLinkOptions } from './link-options.js';
import { LinkOutbox, type OutboundFrame } from './link-outbox.js';
import type { LinkRouter } from './link-router.js';

export interface RequestOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface LinkStats {
  pendingRequests: number;
  queuedFrames: number;
  bytesInFlight: number;
  pendingReplies: number;
  readPaused: boolean;
}

interface PendingRequest {
  method: string;
  resolve: (body: unknown) => void;
  reject: (error: StarError) => void;
  cleanup: () => void;
}

export interface LinkEvents {
  close: [code: number, reason: string];
}

const silentLogger = pino({ level: 'silent' });

/**
 * One persistent, multiplexed, symmetric connection over a WebSocket: requests matched to responses
 * by id, one-way notifications, per-request deadlines, and backpressure both ways. Outbound frames
 * beyond the high-water mark wait in a bounded queue; while this side owes too many replies it stops
 * reading, so TCP pushes back on a peer that floods it. A bad frame closes this link only.
 */
export class Link extends EventEmitter<LinkEvents> {
  readonly options: LinkOptions;
  readonly label: string;
  readonly #ws: WebSocket;
  readonly #router: LinkRouter;
  readonly #logger: Logger;
  #nextId = 1;
  readonly #pending = new Map<number, PendingRequest>();
  readonly #outbox: LinkOutbox;
  /** Requests that arrived while reading was paused (the rest of a message already read). */
  readonly #inbox: RequestFrame[] = [];
  #pendingReplies = 0;
  #readPaused = false;
  #closed = false;
  /** Set once this side decided to close: frames still arriving are ignored. */
  #closing = false;
  #pingTimer: NodeJS.Timeout | undefined;
  #awaitingPong = false;

  constructor(
    ws: WebSocket,
    params: { router: LinkRouter; logger?: Logger; options?: Partial<LinkOptions>; label?: string },
  ) {
    super();
    this.#ws = ws;
    this.#router = params.router;
    this.options = resolveLinkOptions(params.options);
    this.label = params.label ?? 'link';
    this.#outbox = new LinkOutbox(ws, this.options);
    this.#logger = (params.logger ?? silentLogger).child({ link: this.label });
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('close', (code, reason) => this.#onClose(code, reason.toString()));
    ws.on('error', (error) => this.#logger.warn({ err: error }, 'link error'));
    ws.on('pong', () => {
      this.#awaitingPong = false;
    });
    if (this.options.pingIntervalMs > 0) {
      this.#pingTimer = setInterval(() => this.#ping(), this.options.pingIntervalMs);
      this.#pingTimer.unref();
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  stats(): LinkStats {
    return {
      pendingRequests: this.#pending.size,
      queuedFrames: this.#outbox.queuedFrames,
      bytesInFlight: this.#outbox.bytesInFlight,
      pendingReplies: this.#pendingReplies,
      readPaused: this.#readPaused,
    };
  }

  /** Sends a request and resolves with the peer's response body, or rejects with a StarError. */
  request<T = unknown>(method: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    if (this.#closed) return Promise.reject(new StarError('LinkClosed', `${this.label} is closed`));
    const id = this.#nextId++;
    let data: Buffer;
    try {
      data = this.#encode({ t: FrameType.Request, id, m: method, b: body });
    } catch (error) {
      return Promise.reject(error);
    }
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const outbound: OutboundFrame = {
        data,
        cancelled: false,
        onDropped: (error) => settle(error),
      };
      const settle = (error: StarError | undefined, response?: unknown) => {
        const pending = this.#pending.get(id);
        if (pending === undefined) return;
        this.#pending.delete(id);
        pending.cleanup();
        if (error) {
          outbound.cancelled = true;
          reject(error);
        } else {
          resolve(response as T);
        }
      };
      const onAbort = () => settle(new StarError('Timeout', `${method} aborted`));
      const timer = setTimeout(
        () => settle(new StarError('Timeout', `${method} got no response within ${timeoutMs} ms`)),
        timeoutMs,
      );
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        method,
        resolve: (response) => settle(undefined, response),
        reject: (error) => settle(error),
        cleanup: () => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
        },
      });
      if (options.signal?.aborted) return onAbort();
      if (!this.#outbox.enqueue(outbound, false)) {
        settle(
          new StarError(
            'Overloaded',
            `${this.label}: ${this.#outbox.queuedFrames} frames already wait to be sent`,
          ),
        );
      }
    });
  }

  /** Sends a one-way message; resolves once it is handed to the socket (so awaiting it is backpressure). */
  notify(method: string, body: unknown): Promise<void> {
    if (this.#closed) return Promise.reject(new StarError('LinkClosed', `${this.label} is closed`));
    let data: Buffer;
    try {
      data = this.#encode({ t: FrameType.Notify, m: method, b: body } satisfies NotifyFrame);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      const outbound: OutboundFrame = { data, cancelled: false, onSent: resolve, onDropped: reject };
      if (!this.#outbox.enqueue(outbound, false)) {
        reject(
          new StarError(
            'Overloaded',
            `${this.label}: ${this.#outbox.queuedFrames} frames already wait to be sent`,
          ),
        );
      }
    });
  }

  /** Closes the link; requests still waiting fail with `LinkClosed`. */
  close(code: number = LinkCloseCode.Normal, reason = ''): void {
    if (this.#ws.readyState === this.#ws.CLOSED) this.#onClose(code, reason);
    else this.#ws.close(code, reason);
  }

  /** Cuts the connection without a closing handshake (for a peer that stopped answering). */
  terminate(): void {
    this.#ws.terminate();
  }

  #encode(frame: Frame): Buffer {
    const data = encodeFrame(frame);
    if (data.length > this.options.maxFrameBytes) {
      throw new StarError(
        'FrameTooLarge',
        `frame of ${data.length} bytes exceeds the link limit of ${this.options.maxFrameBytes} bytes`,
        { bytes: data.length, limit: this.options.maxFrameBytes },
      );
    }
    return data;
  }

  /** Writes at once while under the high-water mark, else queues; `force` skips the queue bound (replies). */
  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#closed || this.#closing) return;
    if (!isBinary) {
      this.#protocolError('text message on a binary link');
      return;
    }
    let frames: (Frame | FrameDecodeError)[];
    try {
      frames = decodeFrames(data as Buffer);
    } catch (error) {
      this.#protocolError((error as FrameDecodeError).message);
      return;
    }
    for (const frame of frames) {
      if (this.#closing) return;
      if (frame instanceof FrameDecodeError) {
        if (frame.id > 0)
          this.#reply(frame.id, undefined, { code: 'MalformedFrame', message: frame.message });
        else this.#protocolError(frame.message);
      } else if (frame.t === FrameType.Request && this.#readPaused) {
        this.#inbox.push(frame);
      } else {
        this.#onFrame(frame);
      }
    }
  }

  #onFrame(frame: Frame): void {
    switch (frame.t) {
      case FrameType.Request:
        this.#onRequest(frame);
        break;
      case FrameType.Response:
        this.#pending.get(frame.id)?.resolve(frame.b);
        break;
      case FrameType.ErrorResponse:
        if (frame.id === 0) this.#logger.warn({ error: frame.e }, 'peer reported a link error');
        else this.#pending.get(frame.id)?.reject(StarError.fromBody(frame.e));
        break;
      case FrameType.Notify:
        this.#onNotify(frame);
        break;
    }
  }

  #onRequest(frame: RequestFrame): void {
    const handler = this.#router.requestHandler(frame.m);
    if (handler === undefined) {
      this.#reply(frame.id, undefined, {
        code: 'UnknownMethod',
        message: `no handler for method ${frame.m}`,
      });
      return;
    }
    this.#pendingReplies++;
    if (this.#pendingReplies >= this.options.maxPendingReplies) this.#pauseReading();
    const answer = (body: unknown, error?: ErrorBody) => {
      this.#pendingReplies--;
      this.#reply(frame.id, body, error);
    };
    try {
      Promise.resolve(handler(frame.b, this)).then(
        (body) => answer(body),
        (error: unknown) => answer(undefined, this.#errorBody(frame.m, error)),
      );
    } catch (error) {
      answer(undefined, this.#errorBody(frame.m, error));
    }
  }

  #errorBody(method: string, error: unknown): ErrorBody {
    const starError = StarError.from(error);
    if (starError.code === 'Internal') this.#logger.error({ err: error, method }, 'request handler failed');
    return starError.toBody();
  }

  #onNotify(frame: NotifyFrame): void {
    const handler = this.#router.notifyHandler(frame.m);
    if (handler === undefined) {
      this.#logger.warn({ method: frame.m }, 'notification for an unknown method dropped');
      return;
    }
    try {
      Promise.resolve(handler(frame.b, this)).catch((error: unknown) =>
        this.#logger.error({ err: error, method: frame.m }, 'notify handler failed'),
      );
    } catch (error) {
      this.#logger.error({ err: error, method: frame.m }, 'notify handler failed');
    }
  }

  #reply(id: number, body: unknown, error?: ErrorBody): void {
    if (this.#closed) return;
    let data: Buffer;
    try {
      data = this.#encode(
        error === undefined
          ? { t: FrameType.Response, id, b: body }
          : { t: FrameType.ErrorResponse, id, e: error },
      );
    } catch (encodeError) {
      data = encodeFrame({ t: FrameType.ErrorResponse, id, e: StarError.from(encodeError).toBody() });
    }
    // The queue bound does not apply: replies are bounded by maxPendingReplies, which pauses reading.
    this.#outbox.enqueue({ data, cancelled: false, onSent: () => this.#maybeResumeReading() }, true);
  }

  #pauseReading(): void {
    if (this.#readPaused) return;
    this.#readPaused = true;
    this.#ws.pause();
  }

  #maybeResumeReading(): void {
    if (!this.#readPaused || this.#pendingReplies >= this.options.maxPendingReplies / 2) return;
    this.#readPaused = false;
    // Requests already read go first; they may pause reading again before the socket resumes.
    while (this.#inbox.length > 0 && !this.#readPaused) this.#onRequest(this.#inbox.shift()!);
    if (!this.#readPaused) this.#ws.resume();
  }

  /** The peer broke the protocol: say why, then close this link (never the process). */
  #protocolError(message: string): void {
    this.#logger.warn({ reason: message }, 'malformed frame; closing link');
    this.#closing = true;
    try {
      this.#ws.send(
        encodeFrame({ t: FrameType.ErrorResponse, id: 0, e: { code: 'MalformedFrame', message } }),
      );
    } catch {
      // The socket may already be gone; closing below is what matters.
    }
    this.#ws.close(LinkCloseCode.MalformedFrame, 'malformed frame');
  }

  #ping(): void {
    if (this.#awaitingPong) {
      this.#logger.warn('peer missed a ping period; terminating link');
      this.#ws.terminate();
      return;
    }
    this.#awaitingPong = true;
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.ping();
  }

  #onClose(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pingTimer);
    const error = new StarError(
      'LinkClosed',
      `${this.label} closed (${code}${reason ? `: ${reason}` : ''})`,
      {
        code,
      },
    );
    for (const pending of [...this.#pending.values()]) pending.reject(error);
    this.#outbox.dropAll(error);
    this.emit('close', code, reason);
  }
}
