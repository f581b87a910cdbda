import { LinkPool, type LinkRouter } from '@star/core';
import type { Logger } from 'pino';

/**
 * Ping period of node links: a peer silent for a whole period is cut off (its requests fail at once
 * instead of at their deadlines). Two seconds tolerates a busy event loop on a loaded machine.
 */
export const PEER_PING_MS = 2_000;

/**
 * One persistent link per peer node, shared by every shard whose chain connects the two: entries
 * and acks of all shards between two nodes travel on one multiplexed connection. Both ends bring
 * the node's router, since links are symmetric.
 */
export class PeerLinks extends LinkPool {
  constructor(params: { router: LinkRouter; secret: string; logger: Logger }) {
    super({
      router: params.router,
      logger: params.logger,
      secret: params.secret,
      reconnectMinDelayMs: 20,
      reconnectMaxDelayMs: 1_000,
      link: { pingIntervalMs: PEER_PING_MS },
    });
  }
}
