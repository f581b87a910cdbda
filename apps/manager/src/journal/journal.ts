import { NO_REPLICA_ACKS, type ReplicaAckPolicy, withReplicaAck } from '@star/core';
import { ManagerKeys, StarError } from '@star/protocol';
import type { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import { FencedError } from './fenced-error.js';
import {
  decodeRecord,
  encodeEntry,
  type JournalEntry,
  type JournalRecord,
  type StreamEntry,
} from './journal-record.js';
import { tailStream } from './journal-tail.js';
import { appendScript, trimScript } from './lua-scripts.js';
import { bindScript, type ScriptCall } from './redis-script.js';

export interface JournalParams {
  redis: Redis;
  logger?: Logger;
  /** Entries per XRANGE page when reading or replaying. */
  pageSize?: number;
  /** How long a tail's XREAD blocks before it is re-sent. */
  tailBlockMs?: number;
  /** How much longer than that a tail's XREAD may go unanswered before its connection is redialed. */
  tailReadGraceMs?: number;
  /** Replicas that must hold an append before it resolves (Redis WAIT); default none. */
  replicaAcks?: ReplicaAckPolicy;
}

/**
 * The manager's metadata journal (DESIGN §4): a Redis Stream that only the holder of the current
 * fencing token can append to. Every manager rebuilds its state by replaying it and, as a follower,
 * keeps up by tailing it.
 */
export class Journal<T extends { type: string } = JournalEntry> {
  readonly #redis: Redis;
  readonly #logger: Logger;
  readonly #append: ScriptCall;
  readonly #trim: ScriptCall;
  readonly #pageSize: number;
  readonly #tailBlockMs: number;
  readonly #tailReadGraceMs: number;
  readonly #replicaAcks: ReplicaAckPolicy;

  constructor(params: JournalParams) {
    this.#redis = params.redis;
    this.#logger = (params.logger ?? pino({ level: 'silent' })).child({ component: 'journal' });
    this.#append = bindScript(params.redis, appendScript);
    this.#trim = bindScript(params.redis, trimScript);
    this.#pageSize = params.pageSize ?? 1_000;
    this.#tailBlockMs = params.tailBlockMs ?? 5_000;
    this.#tailReadGraceMs = params.tailReadGraceMs ?? 2_000;
    this.#replicaAcks = params.replicaAcks ?? NO_REPLICA_ACKS;
  }

  /**
   * Appends `entries` as one atomic batch if `token` is the current leader's, and returns their
   * stream ids in order. Throws `FencedError` (code Conflict) if it is not; then nothing was written.
   * With a replica-ack policy it resolves only once that many replicas hold the batch, else throws
   * `ReplicaAckError` (retryable): the batch may be on the primary, and must not be acted on until
   * `confirmReplicated()` succeeds.
   */
  async append(token: number, entries: readonly T[]): Promise<string[]> {
    if (!Number.isSafeInteger(token) || token <= 0) {
      throw new StarError('BadRequest', `fencing token must be a positive integer, got ${token}`);
    }
    const payloads = entries.map(encodeEntry);
    const ids = await withReplicaAck(this.#redis, this.#replicaAcks, async () => {
      try {
        return await this.#append(
          [ManagerKeys.leader, ManagerKeys.fence, ManagerKeys.journal],
          [token, ...payloads],
        );
      } catch (error) {
        throw FencedError.fromReply(error, token) ?? error;
      }
    });
    return ids as string[];
  }

  /**
   * Resolves once the replicas hold everything the primary has taken so far (a write, then WAIT:
   * the WAIT covers the whole replication stream up to it), so an append whose own acks failed
   * may be acted on. Throws `ReplicaAckError` otherwise. A no-op without a replica-ack policy.
   */
  async confirmReplicated(): Promise<void> {
    if (this.#replicaAcks.replicas <= 0) return;
    await withReplicaAck(this.#redis, this.#replicaAcks, () =>
      this.#redis.incr(ManagerKeys.replicationBarrier),
    );
  }

  /** Up to `count` entries after `fromId` (exclusive; '0' reads from the start), oldest first. */
  async read(fromId = '0', count = this.#pageSize): Promise<JournalRecord<T>[]> {
    const entries = (await this.#redis.xrange(
      ManagerKeys.journal,
      `(${fromId}`,
      '+',
      'COUNT',
      count,
    )) as StreamEntry[];
    return entries.map((entry) => decodeRecord<T>(entry));
  }

  /**
   * Delivers every entry after `fromId`, then each new one as it is appended, until `signal` aborts
   * (then it resolves). `onEntries` is awaited before the next read. Uses its own connection.
   */
  tail(
    fromId: string,
    onEntries: (records: JournalRecord<T>[]) => void | Promise<void>,
    signal: AbortSignal,
  ): Promise<void> {
    return tailStream<T>({
      redis: this.#redis,
      key: ManagerKeys.journal,
      fromId,
      onEntries,
      signal,
      options: {
        blockMs: this.#tailBlockMs,
        count: this.#pageSize,
        retryMs: 200,
        readGraceMs: this.#tailReadGraceMs,
        keepAliveMs: 1_000,
      },
      logger: this.#logger,
    });
  }

  /** Entries after `afterId` up to and including `uptoId`, oldest first, at most `count`. */
  async readRange(afterId: string, uptoId: string, count = this.#pageSize): Promise<JournalRecord<T>[]> {
    const entries = (await this.#redis.xrange(
      ManagerKeys.journal,
      `(${afterId}`,
      uptoId,
      'COUNT',
      count,
    )) as StreamEntry[];
    return entries.map((entry) => decodeRecord<T>(entry));
  }

  /**
   * Applies every entry after `afterId` up to and including `uptoId`, in order; returns the id of
   * the last one applied (or `afterId`).
   */
  async replayRange(afterId: string, uptoId: string, apply: (entry: T, id: string) => void): Promise<string> {
    let lastId = afterId;
    for (;;) {
      const page = await this.readRange(lastId, uptoId, this.#pageSize);
      for (const record of page) {
        apply(record.entry, record.id);
        lastId = record.id;
      }
      if (page.length < this.#pageSize) return lastId;
    }
  }

  /**
   * Stream id of the newest entry ever appended (also when trims have emptied the stream), or
   * undefined when nothing was ever appended.
   */
  async lastId(): Promise<string | undefined> {
    const info = (await this.#redis.xinfo('STREAM', ManagerKeys.journal).catch(() => undefined)) as
      | unknown[]
      | undefined;
    const index = info?.indexOf('last-generated-id') ?? -1;
    const id = index >= 0 ? String(info![index + 1]) : undefined;
    return id === undefined || id === '0-0' ? undefined : id;
  }

  /**
   * Drops every entry up to and including `id`, which an image must cover: the trim point is
   * recorded first and never moves back. Returns how many entries were removed.
   */
  async trimUpTo(id: string): Promise<number> {
    return Number(await this.#trim([ManagerKeys.journal, ManagerKeys.trimmedTo], [id, nextStreamId(id)]));
  }

  /** The id the journal was trimmed up to ('0' when never trimmed). */
  async trimmedTo(): Promise<string> {
    return (await this.#redis.get(ManagerKeys.trimmedTo)) ?? '0';
  }

  async length(): Promise<number> {
    return this.#redis.xlen(ManagerKeys.journal);
  }

  /** Applies every entry from the start of the stream, in order; returns the id of the last one ('0' if none). */
  replay(apply: (entry: T, id: string) => void): Promise<string> {
    return this.replayFrom('0', apply);
  }

  /**
   * Applies every entry after `afterId`, in order, and returns the id of the last one applied (or
   * `afterId`). The seam for checkpoints: load the newest image, then replay from its entry id.
   */
  async replayFrom(afterId: string, apply: (entry: T, id: string) => void): Promise<string> {
    let lastId = afterId;
    for (;;) {
      const page = await this.read(lastId, this.#pageSize);
      for (const record of page) {
        apply(record.entry, record.id);
        lastId = record.id;
      }
      if (page.length < this.#pageSize) return lastId;
    }
  }
}

/** The smallest stream id after `id` (`<ms>-<seq+1>`). */
export function nextStreamId(id: string): string {
  const match = /^(\d+)-(\d+)$/.exec(id);
  if (!match) throw new StarError('BadRequest', `not a stream id: ${id}`);
  return `${match[1]}-${BigInt(match[2]!) + 1n}`;
}
