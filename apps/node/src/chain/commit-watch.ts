import type { Link } from '@star/core';
import {
  ChainMethods,
  type LogEntry,
  type ShardRole,
  StarError,
  type WatchEndedNotice,
  type WatchEvent,
  type WatchEventsNotice,
  type WatchRequest,
} from '@star/protocol';
import { LogTrimmedError } from '../storage/shard-store.js';
import type { ShardReplica } from './shard-replica.js';

/** Entries read from the log per notification, so one slow watcher never holds the loop long. */
const ENTRIES_PER_NOTICE = 256;

/**
 * One watcher's subscription to a replica's committed log: every committed entry after `afterSeq`
 * whose key matches the prefix is sent, in seq order, as `kv.watchEvents` notifications. Committed
 * entries are identical on every replica, so a watcher that loses this node resumes on another from
 * the last `upToSeq` it received. Sending awaits the link (backpressure); a watcher too slow for the
 * log's retained tail is ended with `Compacted`.
 */
export class CommitWatch {
  readonly #replica: ShardReplica;
  readonly #link: Link;
  readonly #request: WatchRequest;
  #sentSeq: number;
  readonly #startSeq: number;
  #pumping = false;
  #closed = false;
  readonly #onCommitted = () => this.#pump();
  readonly #onConfigured = (role: ShardRole) => {
    if (role === 'none')
      this.end(new StarError('Unavailable', `node left the chain of shard ${this.#replica.shard}`));
  };
  readonly #onEnded: () => void;

  constructor(replica: ShardReplica, link: Link, request: WatchRequest, onEnded: () => void) {
    this.#replica = replica;
    this.#link = link;
    this.#request = request;
    this.#sentSeq = request.afterSeq ?? replica.commitSeq;
    this.#startSeq = this.#sentSeq;
    this.#onEnded = onEnded;
    const firstHeld = replica.store.firstLogSeq;
    if (this.#sentSeq + 1 < firstHeld && this.#sentSeq < replica.commitSeq) {
      throw new StarError(
        'Compacted',
        `shard ${replica.shard} keeps its log from seq ${firstHeld}; the watch asked for ${this.#sentSeq + 1}`,
        { firstSeq: firstHeld },
      );
    }
    replica.events.on('committed', this.#onCommitted);
    replica.events.on('configured', this.#onConfigured);
    queueMicrotask(() => this.#pump());
  }

  /** Where the watch starts: entries after this seq are sent. */
  get startSeq(): number {
    return this.#startSeq;
  }

  /** Stops sending; with an error the watcher is told why (so it resumes elsewhere). */
  end(error?: StarError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#replica.events.off('committed', this.#onCommitted);
    this.#replica.events.off('configured', this.#onConfigured);
    this.#onEnded();
    if (error !== undefined && !this.#link.closed) {
      const notice: WatchEndedNotice = {
        watchId: this.#request.watchId,
        shard: this.#replica.shard,
        error: error.toBody(),
      };
      this.#link.notify(ChainMethods.watchEnded, notice).catch(() => {});
    }
  }

  async #pump(): Promise<void> {
    if (this.#pumping || this.#closed) return;
    this.#pumping = true;
    try {
      while (!this.#closed && this.#sentSeq < this.#replica.commitSeq) {
        const commitSeq = this.#replica.commitSeq;
        const entries = this.#replica.store
          .readLog(this.#sentSeq + 1, Math.min(ENTRIES_PER_NOTICE, commitSeq - this.#sentSeq))
          .filter((entry) => entry.seq <= commitSeq);
        if (entries.length === 0) break;
        const upToSeq = entries.at(-1)!.seq;
        const notice: WatchEventsNotice = {
          watchId: this.#request.watchId,
          shard: this.#replica.shard,
          events: this.#matching(entries),
          upToSeq,
        };
        this.#sentSeq = upToSeq;
        await this.#link.notify(ChainMethods.watchEvents, notice);
      }
    } catch (error) {
      this.end(
        error instanceof LogTrimmedError
          ? new StarError('Compacted', `shard ${this.#replica.shard}: ${error.message}`)
          : StarError.from(error),
      );
    } finally {
      this.#pumping = false;
    }
  }

  #matching(entries: LogEntry[]): WatchEvent[] {
    const prefix = this.#request.prefix;
    const events: WatchEvent[] = [];
    for (const entry of entries) {
      if (prefix !== undefined && !entry.key.startsWith(prefix)) continue;
      events.push(
        entry.op === 'delete'
          ? { type: 'deleted', key: entry.key, version: entry.seq, modifiedAt: entry.modifiedAt }
          : {
              type: entry.modifications === 1 ? 'created' : 'modified',
              key: entry.key,
              version: entry.seq,
              modifiedAt: entry.modifiedAt,
              value: entry.value ?? new Uint8Array(),
              ...(entry.contentType === undefined ? {} : { contentType: entry.contentType }),
            },
      );
    }
    return events;
  }
}

/** Every watch served by this node, by link and watch id; a closing link ends its watches. */
export class WatchRegistry {
  readonly #byLink = new Map<Link, Map<number, CommitWatch>>();

  add(replica: ShardReplica, link: Link, request: WatchRequest): { upToSeq: number } {
    let watches = this.#byLink.get(link);
    if (watches === undefined) {
      watches = new Map();
      this.#byLink.set(link, watches);
      link.once('close', () => {
        for (const watch of this.#byLink.get(link)?.values() ?? []) watch.end();
        this.#byLink.delete(link);
      });
    }
    watches.get(request.watchId)?.end();
    const forLink = watches;
    const watch = new CommitWatch(replica, link, request, () => {
      if (forLink.get(request.watchId) === watch) forLink.delete(request.watchId);
    });
    forLink.set(request.watchId, watch);
    return { upToSeq: watch.startSeq };
  }

  remove(link: Link, watchId: number): void {
    this.#byLink.get(link)?.get(watchId)?.end();
  }

  get size(): number {
    let count = 0;
    for (const watches of this.#byLink.values()) count += watches.size;
    return count;
  }
}
