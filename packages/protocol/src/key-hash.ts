import type { HashRange } from './cluster.js';

/**
 * Key placement (DESIGN §2): a key's shard is the one whose inclusive `hashRange` holds
 * `keyHash(key)`, which is xxHash32 with seed 0 over the key's UTF-8 bytes. Manager, gateway and
 * client MUST all use this one function; changing it moves every key.
 */

/** The largest uint32: the hash space is [0, HASH_MAX]. */
export const HASH_MAX = 0xffffffff;

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
const u32le = (b: Uint8Array, i: number): number =>
  (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
const round = (acc: number, lane: number): number => Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1);

/** xxHash32 of `bytes` (reference algorithm, little-endian lanes) as a uint32. */
export function xxHash32(bytes: Uint8Array, seed = 0): number {
  const len = bytes.length;
  let i = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    for (const limit = len - 16; i <= limit; i += 16) {
      v1 = round(v1, u32le(bytes, i));
      v2 = round(v2, u32le(bytes, i + 4));
      v3 = round(v3, u32le(bytes, i + 8));
      v4 = round(v4, u32le(bytes, i + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + len) | 0;
  for (; i + 4 <= len; i += 4) h = Math.imul(rotl((h + Math.imul(u32le(bytes, i), P3)) | 0, 17), P4);
  for (; i < len; i++) h = Math.imul(rotl((h + Math.imul(bytes[i]!, P5)) | 0, 11), P1);
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

const utf8 = new TextEncoder();

/** The placement hash of a key (or of its partition key, when one is given): xxHash32, seed 0, over UTF-8. */
export function keyHash(key: string): number {
  return xxHash32(utf8.encode(key), 0);
}

/**
 * `count` inclusive ranges that tile [0, 2^32-1] exactly, in order, sizes differing by at most 1
 * (the first `2^32 mod count` ranges are one larger).
 */
export function splitHashRange(count: number): HashRange[] {
  if (!Number.isInteger(count) || count < 1 || count > 2 ** 32) {
    throw new RangeError(`splitHashRange: count must be an integer in [1, 2^32], got ${count}`);
  }
  const total = 2 ** 32;
  const base = Math.floor(total / count);
  const extra = total % count;
  const ranges: HashRange[] = [];
  let min = 0;
  for (let k = 0; k < count; k++) {
    const size = base + (k < extra ? 1 : 0);
    ranges.push({ min, max: min + size - 1 });
    min += size;
  }
  return ranges;
}

/** Anything placed on the hash ring: a shard or just its id and range. */
export interface HashRanged {
  id: number;
  hashRange: HashRange;
}

/**
 * The entry whose inclusive range holds `hash`, by binary search; `ranges` MUST be sorted by
 * `hashRange.min` and not overlap. Undefined when no range holds it (a gap: a broken map).
 */
export function shardForHash<T extends HashRanged>(ranges: readonly T[], hash: number): T | undefined {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const r = ranges[mid]!;
    if (hash < r.hashRange.min) hi = mid - 1;
    else if (hash > r.hashRange.max) lo = mid + 1;
    else return r;
  }
  return undefined;
}

/** The shard that holds `key`; `shards` sorted by `hashRange.min` (see `sortByHashRange`). */
export function shardForKey<T extends HashRanged>(shards: readonly T[], key: string): T | undefined {
  return shardForHash(shards, keyHash(key));
}

/** A copy of `shards` ordered by range start, ready for `shardForHash`/`shardForKey`. */
export function sortByHashRange<T extends HashRanged>(shards: readonly T[]): T[] {
  return [...shards].sort((a, b) => a.hashRange.min - b.hashRange.min);
}
