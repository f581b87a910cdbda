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
}

type XReadReply = [key: string, entries: StreamEntry[]][] | null;

/**
 * Follows the stream after `fromId` with `XREAD BLOCK` on a connection of its own (a blocked
 * connection can carry nothing else), handing each batch to `onEntries` and waiting for it before
 * reading on. Rides out Redis restarts; ends when `signal` aborts, or rejects if `onEntries` throws.
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
  const connection = params.redis.duplicate();
  connection.on('error', (error) => logger.debug({ err: error }, 'journal tail connection error'));
  // Disconnecting rejects the pending XREAD, which is how an abort cuts a BLOCK short.
  const onAbort = () => connection.disconnect();
  signal.addEventListener('abort', onAbort, { once: true });
  let lastId = params.fromId;
  try {
    while (!signal.aborted) {
      let reply: XReadReply;
      try {
        reply = (await connection.xread(
          'COUNT',
          options.count,
          'BLOCK',
          options.blockMs,
          'STREAMS',
          key,
          lastId,
        )) as XReadReply;
      } catch (error) {
        if (signal.aborted) break;
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
