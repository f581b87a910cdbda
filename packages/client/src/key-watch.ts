import type { LinkRouter } from '@star/core';
import {
  ChainMethods,
  StarError,
  type WatchEndedNotice,
  type WatchEvent,
  type WatchEventsNotice,
} from '@star/protocol';
import { toClientError } from './errors.js';
import type { StarClient } from './star-client.js';

export interface WatchOptions {
  /** Only keys starting with this. */
  prefix?: string;
  /** Resume after the event that carried this cursor (default: from now on). */
  cursor?: string;
}

/** A change, with the cursor to resume right after it. */
export interface KeyEvent extends WatchEvent {
  cursor: string;
}

interface Subscriber {
  onEvents(notice: WatchEventsNotice): void;
  onEnded(notice: WatchEndedNotice): void;
}

/** Routes watch notifications arriving on any node link to the subscription they belong to. */
export class WatchDispatch {
  readonly #subscribers = new Map<number, Subscriber>();
  #nextId = 1;

  constructor(router: LinkRouter) {
    router.on(ChainMethods.watchEvents, (body) => {
      const notice = body as WatchEventsNotice;
      this.#subscribers.get(notice?.watchId)?.onEvents(notice);
    });
    router.on(ChainMethods.watchEnded, (body) => {
      const notice = body as WatchEndedNotice;
      this.#subscribers.get(notice?.watchId)?.onEnded(notice);
    });
  }

  add(subscriber: Subscriber): number {
    const id = this.#nextId++;
    this.#subscribers.set(id, subscriber);
    return id;
  }

  remove(id: number): void {
    this.#subscribers.delete(id);
  }
}

/**
 * A watch over a namespace: one subscription per shard on one of its replicas (the tail first),
 * merged into one stream of changes — in commit order per key, each delivered once. A subscription
 * that ends (node failure, reconfiguration, link drop) resumes on another replica right after the
 * last seq it delivered. The cursor holds that seq per shard, so a new watch resumes exactly there.
 */
export class KeyWatch implements AsyncIterable<KeyEvent> {
  readonly #client: StarClient;
  readonly #dispatch: WatchDispatch;
  readonly #namespace: string;
  readonly #prefix: string | undefined;
  readonly #positions = new Map<number, number>();
  readonly #streams = new Map<number, ShardStream>();
  readonly #queue: KeyEvent[] = [];
  #wake: (() => void) | undefined;
  #failure: StarError | undefined;
  #closed = false;

  constructor(client: StarClient, dispatch: WatchDispatch, namespace: string, options: WatchOptions) {
    this.#client = client;
    this.#dispatch = dispatch;
    this.#namespace = namespace;
    this.#prefix = options.prefix;
    if (options.cursor !== undefined) {
      for (const [shard, seq] of decodeWatchCursor(options.cursor)) this.#positions.set(shard, seq);
    }
  }

  /** Subscribes every shard; resolves once each subscription is in place. */
  async start(): Promise<this> {
    const shards = await this.#client.shards(this.#namespace);
    await Promise.all(
      shards.map(async (shard) => {
        const stream = new ShardStream(this, shard.id, this.#positions.get(shard.id));
        this.#streams.set(shard.id, stream);
        await stream.subscribe();
      }),
    );
    return this;
  }

  /** The position after every event delivered so far. */
  get cursor(): string {
    return encodeWatchCursor(this.#positions);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const stream of this.#streams.values()) stream.stop();
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<KeyEvent> {
    for (;;) {
      const next = this.#queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#failure) throw this.#failure;
      if (this.#closed) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }

  // --- for the shard streams ---------------------------------------------------------------

  get client(): StarClient {
    return this.#client;
  }
  get dispatch(): WatchDispatch {
    return this.#dispatch;
  }
  get prefix(): string | undefined {
    return this.#prefix;
  }
  get closed(): boolean {
    return this.#closed;
  }

  position(shard: number): number | undefined {
    return this.#positions.get(shard);
  }

  deliver(shard: number, events: WatchEvent[], upToSeq: number): void {
    const known = this.#positions.get(shard) ?? 0;
    for (const event of events) {
      if (event.version <= known) continue; // already delivered by an earlier subscription
      this.#positions.set(shard, event.version);
      this.#queue.push({ ...event, cursor: this.cursor });
    }
    const position = this.#positions.get(shard);
    if (position === undefined || upToSeq > position) this.#positions.set(shard, upToSeq);
    this.#wake?.();
  }

  fail(error: StarError): void {
    this.#failure = error;
    this.close();
  }
}

/** One shard's subscription, moved from replica to replica as they come and go. */
class ShardStream {
  readonly #watch: KeyWatch;
  readonly #shard: number;
  #watchId: number | undefined;
  #attempt = 0;
  #stopped = false;
  #detach: (() => void) | undefined;

  constructor(watch: KeyWatch, shard: number, startAfter: number | undefined) {
    this.#watch = watch;
    this.#shard = shard;
    if (startAfter !== undefined) watch.deliver(shard, [], startAfter);
  }

  async subscribe(): Promise<void> {
    const client = this.#watch.client;
    const deadline = performance.now() + client.requestTimeoutMs;
    for (;;) {
      if (this.#stopped) return;
      const shard = client.follower.map.shard(this.#shard);
      const chain = shard?.chain ?? [];
      // The tail learns of commits first; later attempts rotate through the other replicas.
      const member =
        chain[
          (chain.length - 1 - (this.#attempt % Math.max(1, chain.length)) + chain.length) %
            Math.max(1, chain.length)
        ];
      const address = member === undefined ? undefined : client.address(member);
      this.#attempt += 1;
      let error: StarError;
      if (address === undefined) {
        error = new StarError('Unavailable', `shard ${this.#shard} has no live replica to watch`);
      } else {
        try {
          await this.#subscribeAt(address);
          this.#attempt = 0;
          return;
        } catch (caught) {
          error = StarError.from(caught);
          // A compacted log on one replica may still be held by another; anything else not retryable ends the watch.
          if (!error.retryable && error.code !== 'Compacted') {
            this.#watch.fail(toClientError(error));
            return;
          }
        }
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        this.#watch.fail(toClientError(error));
        return;
      }
      await client.follower.nextChange(Math.min(left, 200));
    }
  }

  async #subscribeAt(address: string): Promise<void> {
    const client = this.#watch.client;
    const dispatch = this.#watch.dispatch;
    const watchId = dispatch.add({
      onEvents: (notice) => {
        if (this.#watchId === watchId) this.#watch.deliver(this.#shard, notice.events, notice.upToSeq);
      },
      onEnded: () => {
        if (this.#watchId === watchId) this.#resubscribe();
      },
    });
    this.#retire();
    this.#watchId = watchId;
    const linkClient = client.links.pool.client(address);
    const onDisconnect = () => {
      if (this.#watchId === watchId) this.#resubscribe();
    };
    linkClient.on('disconnect', onDisconnect);
    this.#detach = () => {
      linkClient.off('disconnect', onDisconnect);
      dispatch.remove(watchId);
      linkClient.notify(ChainMethods.unwatch, { watchId }).catch(() => {});
    };
    const afterSeq = this.#watch.position(this.#shard);
    try {
      const started = await client.request<{ upToSeq: number }>(address, ChainMethods.watch, {
        shard: this.#shard,
        watchId,
        ...(afterSeq === undefined ? {} : { afterSeq }),
        ...(this.#watch.prefix === undefined ? {} : { prefix: this.#watch.prefix }),
      });
      if (this.#watchId === watchId) this.#watch.deliver(this.#shard, [], started.upToSeq);
    } catch (error) {
      if (this.#watchId === watchId) this.#retire();
      throw error;
    }
  }

  #retire(): void {
    this.#detach?.();
    this.#detach = undefined;
    this.#watchId = undefined;
  }

  #resubscribe(): void {
    this.#retire();
    if (this.#stopped || this.#watch.closed) return;
    void this.subscribe();
  }

  stop(): void {
    this.#stopped = true;
    this.#retire();
  }
}

export function encodeWatchCursor(positions: Map<number, number>): string {
  return Buffer.from(JSON.stringify({ s: Object.fromEntries(positions) })).toString('base64url');
}

function decodeWatchCursor(cursor: string): [number, number][] {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { s?: unknown };
    if (typeof parsed.s === 'object' && parsed.s !== null) {
      const entries = Object.entries(parsed.s as Record<string, unknown>);
      if (
        entries.every(([shard, seq]) => /^\d+$/.test(shard) && Number.isInteger(seq) && (seq as number) >= 0)
      )
        return entries.map(([shard, seq]) => [Number(shard), seq as number]);
    }
  } catch {
    // fall through to the typed error
  }
  throw toClientError(new StarError('BadRequest', 'watch cursor is not one this API issued'));
}
