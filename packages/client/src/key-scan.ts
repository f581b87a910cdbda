import {
  ChainMethods,
  compareKeys,
  KvLimits,
  type ScannedRecord,
  type ScanResponse,
  type Shard,
  StarError,
} from '@star/protocol';
import { toClientError } from './errors.js';
import type { StarClient } from './star-client.js';

export interface ListOptions {
  prefix?: string;
  /** Keys `>= start`. */
  start?: string;
  /** Keys `< end`. */
  end?: string;
  /** Page size (default 100, at most 10,000). */
  limit?: number;
  /** Include values. */
  values?: boolean;
  /** Opaque cursor from the previous page. */
  cursor?: string;
}

export interface ListPage {
  records: ScannedRecord[];
  /** Present when more keys may follow: pass it as `cursor` for the next page. */
  cursor?: string;
}

/**
 * One page of a namespace's keys in key order across all its shards: every shard's tail is asked
 * for the first `limit` keys after the cursor, and the merge keeps the first `limit` of them. The
 * cursor is the last key returned, so pages neither skip nor repeat keys while writes go on.
 */
export async function listPage(
  client: StarClient,
  namespace: string,
  options: ListOptions = {},
): Promise<ListPage> {
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > KvLimits.maxScanLimit)
    throw toClientError(
      new StarError('BadRequest', `limit must be an integer from 1 to ${KvLimits.maxScanLimit}`),
    );
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  const shards = await client.shards(namespace);
  const pages = await Promise.all(
    shards.map((shard) =>
      scanShard(client, shard.id, {
        ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
        ...(options.start === undefined ? {} : { start: options.start }),
        ...(options.end === undefined ? {} : { end: options.end }),
        ...(after === undefined ? {} : { after }),
        ...(options.values ? { values: true } : {}),
        limit,
      }),
    ),
  );
  const merged = pages.flatMap((page) => page.records).sort((a, b) => compareKeys(a.key, b.key));
  const records = merged.slice(0, limit);
  const more = merged.length > limit || pages.some((page) => page.more);
  const last = records.at(-1);
  return more && last !== undefined ? { records, cursor: encodeCursor(last.key) } : { records };
}

/** Every matching record, page by page, as an async iterator. */
export async function* scanKeys(
  client: StarClient,
  namespace: string,
  options: Omit<ListOptions, 'cursor'> = {},
): AsyncGenerator<ScannedRecord> {
  let cursor: string | undefined;
  do {
    const page = await listPage(client, namespace, {
      ...options,
      ...(cursor === undefined ? {} : { cursor }),
    });
    yield* page.records;
    cursor = page.cursor;
  } while (cursor !== undefined);
}

type ShardScan = Omit<import('@star/protocol').ScanRequest, 'shard'>;

/** Scans one shard at its tail, retrying on a refreshed map what a retry can fix. */
async function scanShard(client: StarClient, shardId: number, request: ShardScan): Promise<ScanResponse> {
  const deadline = performance.now() + client.requestTimeoutMs;
  for (let attempt = 0; ; attempt++) {
    const shard: Shard | undefined = client.follower.map.shard(shardId);
    const tail = shard?.chain.at(-1);
    const address = tail === undefined ? undefined : client.address(tail);
    let error: StarError;
    if (address === undefined) {
      error = new StarError('Unavailable', `shard ${shardId} has no live tail`);
    } else {
      try {
        return await client.request<ScanResponse>(address, ChainMethods.scan, { shard: shardId, ...request });
      } catch (caught) {
        error = StarError.from(caught);
        if (!error.retryable) throw toClientError(error);
      }
    }
    const left = deadline - performance.now();
    if (left <= 0) throw toClientError(error);
    await client.follower.nextChange(Math.min(left, Math.min(500, 25 * 2 ** Math.min(attempt, 5))));
  }
}

export function encodeCursor(lastKey: string): string {
  return Buffer.from(JSON.stringify({ after: lastKey })).toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through to the typed error
  }
  throw toClientError(new StarError('BadRequest', 'cursor is not one this API issued'));
}
