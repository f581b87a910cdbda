import { EventEmitter } from 'node:events';
import { LinkDefaults, StarError } from '@star/protocol';
import type { FastifyBaseLogger as Logger } from 'fastify';
import pRetry from 'p-retry';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { Link, type RequestOptions } from './link.js';
import { type LinkOptions, resolveLinkOptions } from './link-options.js';
import { LinkRouter } from './link-router.js';

export interface LinkClientOptions {
  /** `ws://host:port/v1/link` of the peer. */
  url: string;
  /** Cluster secret presented as a bearer token; the server refuses the upgrade without it. */
  secret?: string;
  /** Handlers for requests and notifications the peer sends this way. */
  router?: LinkRouter;
  logger?: Logger;
  link?: Partial<LinkOptions>;
  reconnectMinDelayMs?: number;
  reconnectMaxDelayMs?: number;
  connectTimeoutMs?: number;
  /**
   * Runs on every new connection before any request may use it (a chain link's handshake, say).
   * If it throws, the connection is dropped and dialing starts over.
   */
  onConnect?: (link: Link) => Promise<void>;
}

export interface LinkClientEvents {
  connect: [link: Link];
  disconnect: [code: number, reason: string];
}

/**
 * The dialing side of a link: keeps one connection to a peer open, redialing with exponential
 * backoff and jitter (p-retry) whenever it drops. Requests made while disconnected wait for the next
 * connection within their own deadline; a request already sent when the link drops fails with
 * `LinkClosed` rather than being resent, because only the caller knows whether a resend is safe.
 */
export class LinkClient extends EventEmitter<LinkClientEvents> {
  readonly #options: LinkClientOptions;
  readonly #router: LinkRouter;
  readonly #logger: Logger;
  readonly #stop = new AbortController();
  #link: Link | undefined;
  #dialing = false;
  readonly #waiters = new Set<() => void>();

  constructor(options: LinkClientOptions) {
    super();
    this.#options = options;
    this.#router = options.router ?? new LinkRouter();
    this.#logger = (options.logger ?? pino({ level: 'silent' })).child({ peer: options.url });
    this.#dial();
  }

  get connected(): boolean {
    return this.#link !== undefined && !this.#link.closed;
  }

  /** The current connection, waiting up to `timeoutMs` for one. */
  async link(timeoutMs = resolveLinkOptions(this.#options.link).requestTimeoutMs): Promise<Link> {
    if (this.#stop.signal.aborted)
      throw new StarError('LinkClosed', `client for ${this.#options.url} is closed`);
    if (this.#link !== undefined && !this.#link.closed) return this.#link;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new StarError('Unavailable', `no connection to ${this.#options.url} within ${timeoutMs} ms`));
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      this.#waiters.add(wake);
    });
    return this.link(0);
  }

  async request<T = unknown>(method: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? resolveLinkOptions(this.#options.link).requestTimeoutMs;
    const started = performance.now();
    const link = await this.link(timeoutMs);
    const remaining = Math.max(1, timeoutMs - (performance.now() - started));
    return link.request<T>(method, body, { ...options, timeoutMs: remaining });
  }

  async notify(method: string, body: unknown): Promise<void> {
    const link = await this.link();
    return link.notify(method, body);
  }

  /** Stops redialing and closes the connection. */
  close(): void {
    this.#stop.abort();
    this.#link?.close(1000, 'client closed');
    for (const wake of [...this.#waiters]) wake();
  }

  #dial(): void {
    if (this.#dialing || this.#stop.signal.aborted) return;
    this.#dialing = true;
    pRetry(() => this.#connectOnce(), {
      retries: Number.POSITIVE_INFINITY,
      factor: 2,
      minTimeout: this.#options.reconnectMinDelayMs ?? LinkDefaults.reconnectMinDelayMs,
      maxTimeout: this.#options.reconnectMaxDelayMs ?? LinkDefaults.reconnectMaxDelayMs,
      randomize: true,
      signal: this.#stop.signal,
      onFailedAttempt: ({ error, attemptNumber }) => {
        const log = attemptNumber === 1 ? 'info' : 'debug';
        this.#logger[log]({ err: error, attempt: attemptNumber }, 'link dial failed; retrying');
      },
    })
      .then((link) => {
        this.#dialing = false;
        this.#adopt(link);
      })
      .catch(() => {
        // Only an abort (close()) ends the retry loop.
        this.#dialing = false;
      });
  }

  #adopt(link: Link): void {
    if (this.#stop.signal.aborted) {
      link.close(1000, 'client closed');
      return;
    }
    this.#link = link;
    link.once('close', (code, reason) => {
      if (this.#link === link) this.#link = undefined;
      this.emit('disconnect', code, reason);
      this.#logger.info({ code, reason }, 'link closed; redialing');
      this.#dial();
    });
    this.#logger.debug('link connected');
    this.emit('connect', link);
    for (const wake of [...this.#waiters]) wake();
  }

  async #connectOnce(): Promise<Link> {
    const linkOptions = resolveLinkOptions(this.#options.link);
    const headers: Record<string, string> = {};
    if (this.#options.secret) headers.authorization = `Bearer ${this.#options.secret}`;
    const ws = new WebSocket(this.#options.url, {
      headers,
      maxPayload: linkOptions.maxFrameBytes,
      perMessageDeflate: false,
      handshakeTimeout: this.#options.connectTimeoutMs ?? 5_000,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.once('unexpected-response', (request, response) => {
        const status = response.statusCode ?? 0;
        request.destroy();
        reject(
          new StarError(
            status === 401 ? 'Unauthorized' : 'Unavailable',
            `link upgrade to ${this.#options.url} refused with HTTP ${status}`,
          ),
        );
      });
    }).catch((error: unknown) => {
      ws.on('error', () => {});
      ws.terminate();
      throw error;
    });
    ws.removeAllListeners();
    const link = new Link(ws, {
      router: this.#router,
      logger: this.#logger,
      options: linkOptions,
      label: `link to ${this.#options.url}`,
    });
    if (this.#options.onConnect) {
      try {
        await this.#options.onConnect(link);
      } catch (error) {
        link.close(1011, 'handshake failed');
        throw error;
      }
    }
    return link;
  }
}
