import { describe, expect, it } from 'vitest';
import { CommitSeqQuery } from './commit-seq-query.js';

describe('CommitSeqQuery', () => {
  it('serves any number of concurrent readers with at most two round trips, each sent after they arrived', async () => {
    let tailCommit = 10;
    const sentAt: number[] = [];
    const releases: (() => void)[] = [];
    const query = new CommitSeqQuery(() => {
      sentAt.push(tailCommit);
      const answer = tailCommit;
      return new Promise((resolve) => releases.push(() => resolve(answer)));
    });
    const early = query.fetch();
    tailCommit = 20; // commits happen while the first query is out
    const late = Array.from({ length: 1_000 }, () => query.fetch());
    expect(query.roundTrips).toBe(1);
    releases.shift()!();
    expect(await early).toBe(10);
    await new Promise((resolve) => setImmediate(resolve));
    expect(query.roundTrips).toBe(2);
    releases.shift()!();
    // Readers that arrived after the first query was sent get an answer from a later query.
    expect(new Set(await Promise.all(late))).toEqual(new Set([20]));
    expect(sentAt).toEqual([10, 20]);
  });

  it('passes a failed query on to its readers and recovers for the next ones', async () => {
    let fail = true;
    const query = new CommitSeqQuery(async () => {
      if (fail) throw new Error('tail gone');
      return 7;
    });
    await expect(query.fetch()).rejects.toThrow('tail gone');
    fail = false;
    expect(await query.fetch()).toBe(7);
  });
});
