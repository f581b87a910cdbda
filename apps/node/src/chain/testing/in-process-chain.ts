import { EventEmitter } from 'node:events';
import { type Link, type LinkClient, LinkRouter } from '@star/core';
import { type AckNotice, type AppendRequest, ChainMethods, StarError } from '@star/protocol';
import { pino } from 'pino';
import { PeerLinks } from '../peer-links.js';
import type { ShardReplica } from '../shard-replica.js';

/**
 * Chain links between ShardReplica objects in one process, for unit tests: the same dispatch as
 * node-router.ts (term check, then the replica's handler) with every message delivered on a later
 * macrotask, as a network would, so a cursor that loops never starves the test.
 */
export class InProcessNetwork {
  readonly #replicas = new Map<string, ShardReplica>();
  readonly #links = new Map<string, InProcessLink>();
  /** Every request sent, as `from→to method`, in order. */
  readonly sent: string[] = [];

  /** Makes `replica` reachable as the node at `${nodeId}:1` (the address `config()` in tests uses). */
  register(nodeId: string, replica: ShardReplica): void {
    this.#replicas.set(nodeId, replica);
  }

  /** The peer links of node `from`: dialing `${id}:1` reaches the replica registered as `id`. */
  peersOf(from: string): PeerLinks {
    return new InProcessPeers(this, from);
  }

  replica(nodeId: string): ShardReplica {
    const replica = this.#replicas.get(nodeId);
    if (replica === undefined) throw new StarError('LinkClosed', `no node ${nodeId} in this network`);
    return replica;
  }

  linkBetween(from: string, to: string): InProcessLink {
    const name = `${from}→${to}`;
    let link = this.#links.get(name);
    if (link === undefined) {
      link = new InProcessLink(this, from, to);
      this.#links.set(name, link);
    }
    return link;
  }
}

/** Runs `turns` macrotask turns: every in-process message sent meanwhile is delivered and answered. */
export async function settle(turns = 50): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

class InProcessPeers extends PeerLinks {
  readonly #network: InProcessNetwork;
  readonly #from: string;

  constructor(network: InProcessNetwork, from: string) {
    super({ router: new LinkRouter(), secret: '', logger: pino({ level: 'silent' }) });
    this.#network = network;
    this.#from = from;
  }

  override link(address: string): Promise<Link> {
    return Promise.resolve(this.#network.linkBetween(this.#from, nodeOf(address)) as unknown as Link);
  }

  override client(address: string): LinkClient {
    return this.#network.linkBetween(this.#from, nodeOf(address)) as unknown as LinkClient;
  }
}

function nodeOf(address: string): string {
  return address.split(':')[0]!;
}

/**
 * One direction of a chain link: the predecessor's cursor sends requests on it, the successor holds
 * it as its upstream link and sends acks back on it (as a real link is symmetric).
 */
export class InProcessLink extends EventEmitter {
  readonly closed = false;
  readonly #network: InProcessNetwork;
  readonly #from: string;
  readonly #to: string;

  constructor(network: InProcessNetwork, from: string, to: string) {
    super();
    this.#network = network;
    this.#from = from;
    this.#to = to;
  }

  async request<T>(method: string, body: unknown): Promise<T> {
    this.#network.sent.push(`${this.#from}→${this.#to} ${method}`);
    await new Promise((resolve) => setImmediate(resolve));
    const replica = this.#network.replica(this.#to);
    const request = body as AppendRequest & { from: string; afterSeq: number };
    await replica.checkTerm(request.term);
    const self = this as unknown as Link;
    switch (method) {
      case ChainMethods.handshake:
        return replica.onHandshake(request.from, self) as T;
      case ChainMethods.append:
        return replica.onAppend(request, self) as T;
      case ChainMethods.truncate:
        return replica.onTruncate(request.afterSeq) as T;
      case ChainMethods.commitSeq:
        return replica.tailCommitSeq() as T;
      default:
        throw new StarError('BadRequest', `in-process link: no handler for ${method}`);
    }
  }

  /** An ack from the successor to the predecessor (the only notification on chain links). */
  async notify(_method: string, body: unknown): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    const notice = body as AckNotice;
    const predecessor = this.#network.replica(this.#from);
    if (notice.term === predecessor.term) predecessor.onAckNotice(notice.commitSeq);
  }
}
