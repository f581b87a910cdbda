import { type Link, LinkClient, type LinkRouter } from '@star/core';
import { LinkDefaults } from '@star/protocol';
import type { Logger } from 'pino';

/**
 * Ping period of node links: a peer silent for a whole period is cut off (its requests fail at once
 * instead of at their deadlines). Two seconds tolerates a busy event loop on a loaded machine.
 */
export const PEER_PING_MS = 2_000;

/**
 * One persistent link per peer node, shared by every shard whose chain connects the two: entries
 * and acks of all shards between two nodes travel on one multiplexed connection.
 */
export class PeerLinks {
  readonly #clients = new Map<string, LinkClient>();
  readonly #router: LinkRouter;
  readonly #secret: string;
  readonly #logger: Logger;

  constructor(params: { router: LinkRouter; secret: string; logger: Logger }) {
    this.#router = params.router;
    this.#secret = params.secret;
    this.#logger = params.logger;
  }

  client(address: string): LinkClient {
    let client = this.#clients.get(address);
    if (client === undefined) {
      client = new LinkClient({
        url: `ws://${address}${LinkDefaults.path}`,
        router: this.#router,
        logger: this.#logger,
        secret: this.#secret,
        reconnectMinDelayMs: 20,
        reconnectMaxDelayMs: 1_000,
        link: { pingIntervalMs: PEER_PING_MS },
      });
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
