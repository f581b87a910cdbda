import { setTimeout as delay } from 'node:timers/promises';
import { failpoint } from '@star/core';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { decodeRecord, type JournalRecord, type StreamEntry } from './journal-record.js';

export interface TailOptions {
  /** How long one XREAD blocks before it is sent again. */
  blockMs: number;
  /** Entries per XREAD at most. */
  count: number;
  /** Wait after a failed XREAD (Redis down or restarting) before trying again. */
  retryMs: number;
  /**
   * How much longer than `blockMs` an XREAD may take before its connection counts as dead (a
   * half-open path never answers and never closes) and is replaced by a fresh one.
   */
  readGraceMs: number;
  /** TCP keepalive delay of the tail's connection, so the kernel also notices a vanished peer. */
  keepAliveMs: number;
}

/** An XREAD that outlived `blockMs` plus the grace: its connection is presumed dead. */
class ReadTimeout extends Error {
  constructor(ms: number) {
    super(`journal tail read got no answer within ${ms} ms`);
    this.name = 'ReadTimeout';
  }
}

/** `promise`, or a ReadTimeout after `ms` (the promise's own outcome is then ignored). */
function withReadTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReadTimeout(ms)), ms);
  });
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

type XReadReply = [key: string, entries: StreamEntry[]][] | null;

/**
 * Follows the stream after `fromId` with `XREAD BLOCK` on a connection of its own (a blocked
 * connection can carry nothing else), handing each batch to `onEntries` and waiting for it before
 * reading on. Rides out Redis restarts; ends when `signal` aborts, or rejects if `onEntries` throws.
 * A read that is not answered within `blockMs + readGraceMs` (a half-open connection: the leader's
 * state would silently stop moving) drops the connection and redials.
 */
export async function tailStream<T>(params: {
  redis: Redis;
  key: string;
  fromId: string;
  onEntries: (records: JournalRecord<T>[]) => void | Promise<void>;
  signal: AbortSignal;
  options: TailOptions;
  logger: Logger;
}): Promise<void> {
  const { key, onEntries, signal, options, logger } = params;
  if (signal.aborted) return;
  const dial = () => {
    const fresh = params.redis.duplicate({ keepAlive: options.keepAliveMs });
    fresh.on('error', (error) => logger.debug({ err: error }, 'journal tail connection error'));
    return fresh;
  };
  let connection = dial();
  // Disconnecting rejects the pending XREAD, which is how an abort cuts a BLOCK short.
  const onAbort = () => connection.disconnect();
  signal.addEventListener('abort', onAbort, { once: true });
  const readTimeoutMs = options.blockMs + options.readGraceMs;
  let lastId = params.fromId;
  try {
    while (!signal.aborted) {
      let reply: XReadReply;
      try {
        reply = (await withReadTimeout(
          connection.xread('COUNT', options.count, 'BLOCK', options.blockMs, 'STREAMS', key, lastId),
          readTimeoutMs,
        )) as XReadReply;
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof ReadTimeout) {
          logger.warn({ lastId, ms: readTimeoutMs }, 'journal tail read unanswered; redialing');
          connection.disconnect();
          connection = dial();
          continue;
        }
        logger.warn({ err: error, lastId }, 'journal tail read failed; retrying');
        await delay(options.retryMs, undefined, { signal }).catch(() => {});
        continue;
      }
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) continue;
      const records = entries.map((entry) => decodeRecord<T>(entry));
      await failpoint('manager.journal-tail');
      await onEntries(records);
      lastId = records.at(-1)!.id;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    connection.disconnect();
  }
}
