import { LinkDefaults } from '@star/protocol';
import type { Link } from './link.js';
import { LinkClient, type LinkClientOptions } from './link-client.js';

/**
 * One persistent link per peer address, dialed on first use and kept (redialing as needed) until
 * the pool closes: whatever talks to many peers — a node to its chain neighbours, the manager to
 * nodes — shares one multiplexed connection per peer.
 */
export class LinkPool {
  readonly #clients = new Map<string, LinkClient>();
  readonly #options: Omit<LinkClientOptions, 'url'>;

  constructor(options: Omit<LinkClientOptions, 'url'> = {}) {
    this.#options = options;
  }

  /** The client for `host:port`, created on first use. */
  client(address: string): LinkClient {
    let client = this.#clients.get(address);
    if (client === undefined) {
      client = new LinkClient({ ...this.#options, url: `ws://${address}${LinkDefaults.path}` });
      this.#clients.set(address, client);
    }
    return client;
  }

  link(address: string, timeoutMs = 5_000): Promise<Link> {
    return this.client(address).link(timeoutMs);
  }

  closeAll(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}
