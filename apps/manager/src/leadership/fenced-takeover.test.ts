import { ManagerKeys } from '@star/protocol';
import { type RedisServer, startRedis } from '@star/testkit';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FencedError } from '../journal/fenced-error.js';
import { Journal } from '../journal/journal.js';
import type { JournalEntry } from '../journal/journal-record.js';
import type { LeaderElection } from './leader-election.js';
import { parseLeaderRecord } from './leader-record.js';
import { leaderKeyExpiresAt, newElection, nextDeposed, nextElected } from './testing/election-helpers.js';
import { PausableProxy } from './testing/pausable-proxy.js';

const entry = (n: number): JournalEntry => ({ type: 'test', data: { n }, at: n });

/** Leader election and the fenced journal together: a manager cut off from Redis (a partition). */
describe('leader takeover with fencing', () => {
  let server: RedisServer;
  let admin: Redis;
  let proxy: PausableProxy;
  let elections: LeaderElection[] = [];
  /** Manager A reaches Redis only through the proxy, so a test can cut it off; B connects directly. */
  const start = (id: 'a' | 'b') => {
    const redis = id === 'a' ? server.client({ port: proxy.port }) : server.client();
    const election = newElection(redis, id);
    elections.push(election);
    election.start();
    return { election, journal: new Journal({ redis }) };
  };

  beforeAll(async () => {
    server = await startRedis();
    admin = server.client();
  });
  afterAll(() => server?.stop());
  beforeEach(async () => {
    await admin.flushall();
    proxy = await PausableProxy.start(server.port);
  });
  afterEach(async () => {
    for (const election of elections) election.stop();
    elections = [];
    proxy.resume();
    await proxy.close();
  });

  it('a cut-off leader stops leading while its key still holds its token; the next waits for the key', async () => {
    const a = start('a');
    const tokenA = await nextElected(a.election);
    const b = start('b');

    proxy.pause();
    const expiresAt = await leaderKeyExpiresAt(admin);
    expect(await nextDeposed(a.election)).toBe('the lease ran out before a renewal came back');
    expect(a.election.isLeader()).toBe(false);
    // At this moment the old lease is still in force in Redis: nobody else can have taken over.
    expect(await admin.pttl(ManagerKeys.leader)).toBeGreaterThan(0);
    expect(parseLeaderRecord(await admin.get(ManagerKeys.leader))).toMatchObject({ id: 'a', token: tokenA });
    expect(b.election.isLeader()).toBe(false);

    const tokenB = await nextElected(b.election);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect(tokenB).toBeGreaterThan(tokenA);

    // Healed, A finds B leading and stays a follower.
    proxy.resume();
    expect(await a.election.currentLeader()).toEqual({ id: 'b', address: b.election.address, token: tokenB });
    expect(a.election.isLeader()).toBe(false);
  });

  it('an old leader cannot append once a new leader was elected: its write is fenced, nothing written', async () => {
    const a = start('a');
    const tokenA = await nextElected(a.election);
    await a.journal.append(tokenA, [entry(1)]);
    const b = start('b');

    proxy.pause();
    // A still believes it leads and writes; the request is stuck in the partition.
    expect(a.election.isLeader()).toBe(true);
    const late = a.journal.append(tokenA, [entry(2), entry(3)]);

    const tokenB = await nextElected(b.election);
    await b.journal.append(tokenB, [entry(4)]);
    proxy.resume();

    const error = await late.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FencedError);
    expect(error).toMatchObject({ code: 'Conflict', token: tokenA, leaderToken: tokenB });
    const records = await b.journal.read();
    expect(records.map((r) => [r.entry.data, r.token])).toEqual([
      [{ n: 1 }, tokenA],
      [{ n: 4 }, tokenB],
    ]);
  });

  it('a leader that froze (stopped renewing) and wakes up after a takeover is fenced too', async () => {
    const a = start('a');
    const tokenA = await nextElected(a.election);
    const b = start('b');
    a.election.stop(); // as if its process were frozen: no renewals, no resign
    const tokenB = await nextElected(b.election);

    await expect(a.journal.append(tokenA, [entry(1)])).rejects.toBeInstanceOf(FencedError);
    await b.journal.append(tokenB, [entry(2)]);
    expect((await b.journal.read()).map((r) => r.entry.data)).toEqual([{ n: 2 }]);
  });
});
