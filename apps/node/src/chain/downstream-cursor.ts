import { failpoint } from '@star/core';
import {
  type AppendRequest,
  type ChainMember,
  ChainMethods,
  type HandshakeResponse,
  SnapshotMethods,
  StarError,
} from '@star/protocol';
import type { Logger } from 'pino';
import type { PeerLinks } from './peer-links.js';

/** What the cursor needs from the replica it streams for. */
export interface CursorSource {
  readonly shard: number;
  readonly term: number;
  readonly lastSeq: number;
  readonly commitSeq: number;
  /** The highest commit point known here (own or reported from upstream): what appends carry down. */
  readonly knownCommitSeq: number;
  readonly firstLogSeq: number;
  /**
   * Whether the source's own log is confirmed at the current term (by its predecessor's first
   * append; a head always is). Until then the cursor sends nothing, not even a handshake: the log
   * may still hold a suffix its predecessor will truncate, or lack what is committed (DESIGN §3.13).
   */
  readonly confirmed: boolean;
  entryTerm(seq: number): number | undefined;
  entriesFrom(seq: number, limit: number): AppendRequest['entries'];
  /** The successor reported a commit point during the handshake (acks lost while disconnected). */
  onAck(commitSeq: number): void;
}

/** Entries per append (a successor stores each append in one transaction). */
const MAX_BATCH_ENTRIES = 512;
/** Encoded bytes per append, roughly: far below the link's frame limit (8 MiB) however large values are. */
export const MAX_BATCH_BYTES = 1024 * 1024;
const MAX_INFLIGHT_BATCHES = 8;
const RETRY_DELAY_MS = 50;

/**
 * The predecessor's view of its successor for one shard (Oxia's follower cursor): handshakes on
 * every (re)connection — the successor states its last entry and the cursor resends the missing
 * suffix, or first has a diverged uncommitted suffix truncated — then streams new entries in
 * pipelined batches. Any error restarts the handshake; the log itself is the retry buffer. It starts
 * only once the source's own log is confirmed, so confirmation flows down the chain hop by hop.
 */
export class DownstreamCursor {
  readonly successor: ChainMember;
  readonly #source: CursorSource;
  readonly #peers: PeerLinks;
  readonly #logger: Logger;
  readonly #nodeId: string;
  #stopped = false;
  #sentSeq = -1;
  #inflight = 0;
  #wake: (() => void) | undefined;
  #streaming = false;

  constructor(params: {
    source: CursorSource;
    successor: ChainMember;
    peers: PeerLinks;
    logger: Logger;
    nodeId: string;
  }) {
    this.#source = params.source;
    this.successor = params.successor;
    this.#peers = params.peers;
    this.#nodeId = params.nodeId;
    this.#logger = params.logger.child({ shard: params.source.shard, successor: params.successor.id });
    void this.#run();
  }

  /** Highest seq the successor holds or was sent (-1 before the first handshake). */
  get sentSeq(): number {
    return this.#sentSeq;
  }

  get streaming(): boolean {
    return this.#streaming;
  }

  /** New entries are durable locally, or the source's log was confirmed: send them. */
  wake(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  stop(): void {
    this.#stopped = true;
    this.wake();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.#untilSourceConfirmed();
        if (this.#stopped) return;
        await this.#handshake();
        await this.#stream();
      } catch (error) {
        this.#streaming = false;
        if (this.#stopped) return;
        const starError = StarError.from(error);
        this.#logger.debug({ err: starError }, 'successor link interrupted; handshaking again');
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      }
    }
  }

  async #untilSourceConfirmed(): Promise<void> {
    while (!this.#stopped && !this.#source.confirmed) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  async #handshake(): Promise<void> {
    const link = await this.#peers.link(this.successor.address);
    for (;;) {
      const response = await link.request<HandshakeResponse>(ChainMethods.handshake, {
        shard: this.#source.shard,
        term: this.#source.term,
        from: this.#nodeId,
      });
      if (this.#stopped) return;
      if (response.lastSeq + 1 < this.#source.firstLogSeq) {
        // This log is trimmed past what the successor holds: it re-seeds from a snapshot first.
        await link.request(SnapshotMethods.reseed, {
          shard: this.#source.shard,
          term: this.#source.term,
          minSeq: this.#source.firstLogSeq - 1,
        });
        continue;
      }
      const matches =
        response.lastSeq === 0 ||
        (response.lastSeq <= this.#source.lastSeq &&
          this.#source.entryTerm(response.lastSeq) === response.lastTerm);
      if (matches) {
        this.#sentSeq = response.lastSeq;
        this.#source.onAck(Math.min(response.commitSeq, response.lastSeq));
        this.#streaming = true;
        this.#logger.debug({ lastSeq: response.lastSeq }, 'successor handshake done');
        return;
      }
      if (response.lastSeq <= response.commitSeq) {
        // Truncation keeps what the successor committed, so it cannot repair this: committed
        // histories differ. Retry slowly (and loudly) rather than loop on a no-op truncation.
        this.#logger.error(
          { successorLastSeq: response.lastSeq, successorCommitSeq: response.commitSeq },
          'successor committed entries this log does not hold',
        );
        throw new StarError('Unavailable', 'successor committed entries this log does not hold');
      }
      // The successor holds entries this node does not: an uncommitted suffix from an old head.
      this.#logger.warn(
        { successorLastSeq: response.lastSeq, successorCommitSeq: response.commitSeq },
        'successor log diverged; truncating its uncommitted suffix',
      );
      await link.request(ChainMethods.truncate, {
        shard: this.#source.shard,
        term: this.#source.term,
        afterSeq: response.commitSeq,
      });
    }
  }

  async #stream(): Promise<void> {
    const link = await this.#peers.link(this.successor.address);
    let failure: unknown;
    // The first append after a handshake goes out even if empty: it confirms the successor's log.
    let confirmed = false;
    while (!this.#stopped && failure === undefined) {
      if (!this.#source.confirmed) throw new StarError('Unavailable', 'this log is no longer confirmed');
      const idle = this.#sentSeq >= this.#source.lastSeq && confirmed;
      if (idle || this.#inflight >= MAX_INFLIGHT_BATCHES) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      const paused = failpoint('node.before-forward', this.#source.shard);
      if (paused !== undefined) await paused;
      confirmed = true;
      const entries =
        this.#sentSeq >= this.#source.lastSeq
          ? []
          : withinByteBudget(this.#source.entriesFrom(this.#sentSeq + 1, MAX_BATCH_ENTRIES));
      if (this.#sentSeq < this.#source.lastSeq && entries[0]?.seq !== this.#sentSeq + 1) {
        throw new StarError('Unavailable', `log no longer holds seq ${this.#sentSeq + 1} for the successor`);
      }
      this.#sentSeq = entries.at(-1)?.seq ?? this.#sentSeq;
      this.#inflight++;
      const request: AppendRequest = {
        shard: this.#source.shard,
        term: this.#source.term,
        entries,
        commitSeq: this.#source.knownCommitSeq,
      };
      link.request(ChainMethods.append, request, { timeoutMs: 30_000 }).then(
        () => {
          this.#inflight--;
          this.wake();
        },
        (error: unknown) => {
          this.#inflight--;
          failure ??= error;
          this.wake();
        },
      );
    }
    if (failure !== undefined) throw failure;
  }
}

/** The longest prefix of `entries` (at least one) whose keys and values fit `MAX_BATCH_BYTES`. */
export function withinByteBudget(entries: AppendRequest['entries']): AppendRequest['entries'] {
  let bytes = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    // A key's UTF-8 takes at most 3 bytes per UTF-16 unit; 64 covers the other fields and framing.
    bytes += (entry.value?.byteLength ?? 0) + entry.key.length * 3 + 64;
    if (bytes > MAX_BATCH_BYTES && i > 0) return entries.slice(0, i);
  }
  return entries;
}
