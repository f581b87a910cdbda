import { ManagerKeys } from '@star/protocol';
import { type RedisServer, sleep, startRedis, waitFor } from '@star/testkit';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LeaderElection } from './leader-election.js';
import { parseLeaderRecord } from './leader-record.js';
import {
  LEASE_MS,
  leaderKeyExpiresAt,
  newElection,
  nextDeposed,
  nextElected,
  RENEW_MS,
} from './testing/election-helpers.js';

describe('LeaderElection', () => {
  let server: RedisServer;
  let admin: Redis;
  let elections: LeaderElection[] = [];
  const track = (election: LeaderElection) => {
    elections.push(election);
    return election;
  };

  beforeAll(async () => {
    server = await startRedis();
    admin = server.client();
  });
  afterAll(() => server?.stop());
  beforeEach(() => admin.flushall());
  afterEach(() => {
    for (const election of elections) election.stop();
    elections = [];
  });

  it('lets exactly one of three racing managers win, with a token above every earlier one', async () => {
    await admin.set(ManagerKeys.fence, 41);
    const racers = ['m1', 'm2', 'm3'].map((id) => track(newElection(server.client(), id)));
    const wins: { id: string; token: number }[] = [];
    for (const racer of racers) racer.on('elected', (token) => wins.push({ id: racer.managerId, token }));
    for (const racer of racers) racer.start();

    await waitFor(() => wins.length > 0, { description: 'a winner' });
    // Over several lease periods the winner keeps renewing and nobody else ever leads.
    for (const deadline = performance.now() + 3 * LEASE_MS; performance.now() < deadline; ) {
      expect(racers.filter((r) => r.isLeader())).toHaveLength(1);
      await sleep(20);
    }
    expect(wins).toEqual([{ id: wins[0]!.id, token: 42 }]);
    const winner = racers.find((r) => r.managerId === wins[0]!.id)!;
    expect(winner.token).toBe(42);
    for (const racer of racers) {
      expect(await racer.currentLeader()).toEqual({
        id: winner.managerId,
        address: winner.address,
        token: 42,
      });
    }
  });

  it('passes the lead on after a leader stops renewing, once its key expired, with a larger token', async () => {
    const first = track(newElection(server.client(), 'first'));
    first.start();
    const firstToken = await nextElected(first);
    const second = track(newElection(server.client(), 'second'));
    second.start();
    await sleep(2 * RENEW_MS);
    expect(second.isLeader()).toBe(false);

    const deposed = nextDeposed(first);
    first.stop(); // no resign: the key stays until its lease runs out
    expect(await deposed).toBe('stopped');
    expect(first.isLeader()).toBe(false);
    const stoppedAt = performance.now();
    const expiresAt = await leaderKeyExpiresAt(admin);
    expect(expiresAt).toBeGreaterThan(0);

    const secondToken = await nextElected(second);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect(performance.now() - stoppedAt).toBeLessThan(LEASE_MS + RENEW_MS + 300);
    expect(secondToken).toBeGreaterThan(firstToken);
    expect(await second.currentLeader()).toMatchObject({ id: 'second', token: secondToken });
  });

  it('resigns by deleting its own key, so a successor takes over without waiting for the lease', async () => {
    const first = track(newElection(server.client(), 'first'));
    first.start();
    const firstToken = await nextElected(first);
    const second = track(newElection(server.client(), 'second'));
    second.start();
    await sleep(RENEW_MS);

    // Listen before resigning: the successor may win before resign() even returns.
    const secondElected = nextElected(second);
    const resignedAt = performance.now();
    expect(await first.resign()).toBe(true);
    const secondToken = await secondElected;
    // Well before the old lease would have run out (a loaded machine adds scheduling delay).
    expect(performance.now() - resignedAt).toBeLessThan(LEASE_MS);
    expect(secondToken).toBeGreaterThan(firstToken);
    // A resign that no longer holds the lead leaves the successor's key alone.
    expect(await first.resign()).toBe(false);
    expect(await second.currentLeader()).toMatchObject({ id: 'second', token: secondToken });
  });

  it('steps down at its next renewal when the key was taken from it, then competes again', async () => {
    const election = track(newElection(server.client(), 'm1'));
    election.start();
    const token = await nextElected(election);

    const intruder = await admin.incr(ManagerKeys.fence);
    await admin.set(
      ManagerKeys.leader,
      JSON.stringify({ id: 'intruder', address: 'x', token: intruder }),
      'PX',
      500,
    );
    expect(await nextDeposed(election)).toBe('the leader key no longer holds our token');
    expect(election.isLeader()).toBe(false);
    expect(election.token).toBeUndefined();

    const again = await nextElected(election);
    expect(again).toBeGreaterThan(intruder);
    expect(intruder).toBeGreaterThan(token);
  });

  it('stops leading before its key can expire when Redis stops answering (SIGSTOP)', async () => {
    const election = track(newElection(server.client(), 'm1'));
    election.start();
    const firstToken = await nextElected(election);
    let deposedAt = 0;
    election.on('deposed', () => {
      deposedAt = Date.now();
    });

    // Pause between renewals; the snapshot of both lease ends must not straddle a renewal.
    let localEndsAt = 0;
    let keyExpiresAt = 0;
    for (let attempt = 0; ; attempt++) {
      localEndsAt = Date.now() + election.leaseValidForMs();
      keyExpiresAt = await leaderKeyExpiresAt(admin);
      server.pause();
      await sleep(30); // a renewal answered just before the pause lands by now
      if (Math.abs(Date.now() + election.leaseValidForMs() - localEndsAt) <= 3) break;
      server.resume();
      expect(attempt).toBeLessThan(10);
      await sleep(50);
    }
    try {
      expect(localEndsAt).toBeLessThanOrEqual(keyExpiresAt - election.safetyMarginMs + 3);
      await waitFor(() => !election.isLeader(), { description: 'local lease to end', intervalMs: 5 });
      expect(Date.now()).toBeLessThan(keyExpiresAt);
      await waitFor(() => deposedAt > 0, { description: 'deposed event', intervalMs: 5 });
      expect(deposedAt).toBeLessThan(keyExpiresAt);
      expect(deposedAt).toBeGreaterThanOrEqual(localEndsAt - 5);
      await sleep(keyExpiresAt - Date.now() + 100);
    } finally {
      server.resume();
    }
    // Once Redis answers again it competes afresh and wins with a new token.
    expect(await nextElected(election)).toBeGreaterThan(firstToken);
  });

  it('reports the current leader record for followers, and nothing when nobody leads', async () => {
    const follower = newElection(server.client(), 'follower');
    expect(await follower.currentLeader()).toBeUndefined();
    await admin.set(ManagerKeys.leader, 'not json');
    expect(await follower.currentLeader()).toBeUndefined();
    expect(parseLeaderRecord(JSON.stringify({ id: 'a', address: 'http://a', token: 0 }))).toBeUndefined();
  });

  it('rejects a renewal period that does not fit in the lease', () => {
    expect(() => newElection(admin, 'm1', { leaseMs: 1_000, renewEveryMs: 950 })).toThrow(/renewEveryMs/);
  });
});
