import { describe, expect, it } from 'vitest';
import {
  HASH_MAX,
  keyHash,
  shardForHash,
  shardForKey,
  sortByHashRange,
  splitHashRange,
  xxHash32,
} from './key-hash.js';

describe('xxHash32', () => {
  it('matches the reference implementation vectors (seed 0)', () => {
    expect(keyHash('')).toBe(0x02cc5d05);
    expect(keyHash('a')).toBe(0x550d7456);
    expect(keyHash('abc')).toBe(0x32d153ff);
    expect(keyHash('Nobody inspects the spammish repetition')).toBe(0xe2293b2f);
  });

  it("matches xxHash's own sanity vectors (xsum_sanity_check.c), seeds 0 and PRIME32", () => {
    // The reference sanity buffer: byte i is the top byte of PRIME32 * PRIME64^i (mod 2^64).
    const buffer = new Uint8Array(222);
    let gen = 2654435761n;
    for (let i = 0; i < buffer.length; i++) {
      buffer[i] = Number(gen >> 56n);
      gen = (gen * 11400714785074694797n) & 0xffffffffffffffffn;
    }
    const prime = 0x9e3779b1;
    const vectors: [number, number, number][] = [
      [0, 0, 0x02cc5d05],
      [0, prime, 0x36b78ae7],
      [1, 0, 0xcf65b03e],
      [1, prime, 0xb4545aa4],
      [14, 0, 0x1208e7e2],
      [14, prime, 0x6af1d1fe],
      [222, 0, 0x5bd11dbd],
      [222, prime, 0x58803c5f],
    ];
    for (const [len, seed, expected] of vectors) {
      expect(xxHash32(buffer.subarray(0, len), seed)).toBe(expected);
    }
  });

  it('covers every tail length around the 16-byte stripe boundary with uint32 results', () => {
    const seen = new Set<number>();
    for (let n = 0; n <= 40; n++) {
      const h = xxHash32(new Uint8Array(n).fill(0xa5));
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThanOrEqual(HASH_MAX);
      seen.add(h);
    }
    expect(seen.size).toBe(41);
  });

  it('hashes keys as UTF-8 bytes', () => {
    for (const key of ['é', 'ключ', '鍵', '🔑 key', 'a\u0000b']) {
      expect(keyHash(key)).toBe(xxHash32(Buffer.from(key, 'utf8')));
    }
    // Precomposed and decomposed forms are different bytes, hence (generally) different shards.
    expect(keyHash('\u00e9')).not.toBe(keyHash('e\u0301'));
  });
});

describe('splitHashRange', () => {
  /** Describes the first way `splitHashRange(count)` fails to tile, or returns undefined. */
  const tilingProblem = (count: number): string | undefined => {
    const ranges = splitHashRange(count);
    if (ranges.length !== count) return `${count}: got ${ranges.length} ranges`;
    if (ranges[0]!.min !== 0) return `${count}: starts at ${ranges[0]!.min}`;
    if (ranges.at(-1)!.max !== HASH_MAX) return `${count}: ends at ${ranges.at(-1)!.max}`;
    let smallest = Number.POSITIVE_INFINITY;
    let largest = 0;
    for (let i = 0; i < count; i++) {
      const r = ranges[i]!;
      if (r.max < r.min) return `${count}: range ${i} is empty`;
      if (i > 0 && r.min !== ranges[i - 1]!.max + 1) return `${count}: gap or overlap before range ${i}`;
      smallest = Math.min(smallest, r.max - r.min + 1);
      largest = Math.max(largest, r.max - r.min + 1);
    }
    return largest - smallest > 1 ? `${count}: sizes ${smallest}..${largest}` : undefined;
  };

  it('tiles [0, 2^32-1] exactly for 1..64 and counts sampled up to 4096', () => {
    const counts = [...Array.from({ length: 64 }, (_, i) => i + 1), 100, 127, 255, 256, 257, 1000, 1023];
    for (let count = 1024; count <= 4096; count += 97) counts.push(count);
    counts.push(3000, 4095, 4096);
    expect(counts.map(tilingProblem).filter((p) => p !== undefined)).toEqual([]);
  });

  it('refuses counts that cannot tile', () => {
    expect(() => splitHashRange(0)).toThrow(RangeError);
    expect(() => splitHashRange(1.5)).toThrow(RangeError);
  });
});

describe('shardForHash / shardForKey', () => {
  const shards = splitHashRange(7).map((hashRange, i) => ({ id: 100 + i, hashRange }));

  it('finds the range holding each boundary hash', () => {
    for (const s of shards) {
      expect(shardForHash(shards, s.hashRange.min)?.id).toBe(s.id);
      expect(shardForHash(shards, s.hashRange.max)?.id).toBe(s.id);
    }
    expect(shardForHash(shards, 0)?.id).toBe(100);
    expect(shardForHash(shards, HASH_MAX)?.id).toBe(106);
  });

  it('agrees with a linear scan for many keys, including UTF-8 ones', () => {
    for (let i = 0; i < 2000; i++) {
      const key = i % 3 === 0 ? `ключ-${i}` : `user:${i}`;
      const h = keyHash(key);
      const expected = shards.find((s) => s.hashRange.min <= h && h <= s.hashRange.max);
      expect(shardForKey(shards, key)).toBe(expected);
    }
  });

  it('is stable for the same key and reports gaps as undefined', () => {
    expect(shardForKey(shards, 'same')).toBe(shardForKey(shards, 'same'));
    const gappy = [
      { id: 1, hashRange: { min: 10, max: 20 } },
      { id: 2, hashRange: { min: 30, max: 40 } },
    ];
    expect(shardForHash(gappy, 25)).toBeUndefined();
    expect(shardForHash(gappy, 5)).toBeUndefined();
    expect(shardForHash([], 5)).toBeUndefined();
  });

  it('sortByHashRange orders shards for lookup without touching the input', () => {
    const shuffled = [shards[3]!, shards[0]!, shards[6]!, shards[1]!, shards[5]!, shards[2]!, shards[4]!];
    const sorted = sortByHashRange(shuffled);
    expect(sorted.map((s) => s.id)).toEqual(shards.map((s) => s.id));
    expect(shuffled[0]!.id).toBe(103);
  });
});
