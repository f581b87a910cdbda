import { ManagerKeys } from '@star/protocol';
import { type RedisServer, sleep, startRedis } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderElection } from './leader-election.js';

describe('LeaderElection with replica acks', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server?.stop());

  it('never leads on a token no replica holds, and gives the won key back each time', async () => {
    // A Redis with no replica: every WAIT for one times out.
    const election = new LeaderElection({
      redis: server.client(),
      managerId: 'm1',
      address: 'http://m1',
      leaseMs: 600,
      replicaAcks: { replicas: 1, timeoutMs: 50 },
    });
    let elected = 0;
    election.on('elected', () => elected++);
    election.start();
    await sleep(1_000);
    election.stop();
    expect(elected).toBe(0);
    expect(election.isLeader()).toBe(false);
    const admin = server.client();
    // It won on the primary more than once (each a fresh token), and released each win.
    expect(Number(await admin.get(ManagerKeys.fence))).toBeGreaterThan(1);
    await sleep(100);
    expect(await admin.get(ManagerKeys.leader)).toBeNull();
  });
});
