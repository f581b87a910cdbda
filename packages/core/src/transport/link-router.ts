import type { Link } from './link.js';

export type RequestHandler = (body: unknown, link: Link) => unknown | Promise<unknown>;
export type NotifyHandler = (body: unknown, link: Link) => void | Promise<void>;

/**
 * Method table of one side of a link. Links are symmetric: whichever end dialed, both may send
 * requests and notifications, so the server and the dialing client each bring a router.
 */
export class LinkRouter {
  readonly #requests = new Map<string, RequestHandler>();
  readonly #notifications = new Map<string, NotifyHandler>();

  /** Registers the handler answering requests of `method`; its return value is the response body. */
  handle(method: string, handler: RequestHandler): this {
    if (this.#requests.has(method)) throw new Error(`request handler for ${method} already registered`);
    this.#requests.set(method, handler);
    return this;
  }

  /** Registers the handler of one-way notifications of `method`. */
  on(method: string, handler: NotifyHandler): this {
    if (this.#notifications.has(method)) throw new Error(`notify handler for ${method} already registered`);
    this.#notifications.set(method, handler);
    return this;
  }

  requestHandler(method: string): RequestHandler | undefined {
    return this.#requests.get(method);
  }

  notifyHandler(method: string): NotifyHandler | undefined {
    return this.#notifications.get(method);
  }
}
