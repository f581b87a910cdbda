import { ChainKeys, ControlPlaneCodecs } from '@star/protocol';
import { type RedisServer, sleep, startRedis } from '@star/testkit';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FailureDetector } from './failure-detector.js';

const LEASE_MS = 300;
const MARGIN_MS = 100;

describe('FailureDetector', () => {
  let server: RedisServer;
  let redis: Redis;
  let detector: FailureDetector;
  const renew = (node: string, renewal: number, incarnation = 'i1') =>
    redis.set(
      ChainKeys.nodeLease(node),
      ControlPlaneCodecs.nodeLease.encode({ incarnation, renewal }),
      'PX',
      LEASE_MS,
    );

  beforeAll(async () => {
    server = await startRedis();
    redis = server.client();
  });
  afterAll(() => server?.stop());
  beforeEach(async () => {
    await redis.flushall();
    detector = new FailureDetector({
      redis,
      settings: { nodeLeaseMs: LEASE_MS, deadMarginMs: MARGIN_MS },
      logger: pino({ level: 'silent' }),
    });
  });

  it('counts a first look as a renewal: a node already gone is silent only a lease plus the margin later', async () => {
    expect((await detector.observe(['n1'])).silent).toEqual([]);
    await sleep(LEASE_MS);
    expect((await detector.observe(['n1'])).silent).toEqual([]);
    await sleep(MARGIN_MS + 20);
    expect((await detector.observe(['n1'])).silent).toEqual(['n1']);
  });

  it('a lease key deleted early does not shorten the wait after the last renewal seen', async () => {
    await renew('n1', 1);
    await detector.observe(['n1']);
    await renew('n1', 2);
    expect((await detector.observe(['n1'])).renewed).toEqual(new Set(['n1']));
    await redis.del(ChainKeys.nodeLease('n1'));
    await sleep(LEASE_MS / 2);
    expect((await detector.observe(['n1'])).silent).toEqual([]);
    await sleep(LEASE_MS / 2 + MARGIN_MS + 20);
    expect((await detector.observe(['n1'])).silent).toEqual(['n1']);
  });

  it('a key that stays but never changes is no renewal; nor is an older counter come back', async () => {
    await redis.set(
      ChainKeys.nodeLease('n1'),
      ControlPlaneCodecs.nodeLease.encode({ incarnation: 'i1', renewal: 5 }),
    );
    await detector.observe(['n1']);
    await redis.set(
      ChainKeys.nodeLease('n1'),
      ControlPlaneCodecs.nodeLease.encode({ incarnation: 'i1', renewal: 4 }),
    );
    expect((await detector.observe(['n1'])).renewed.size).toBe(0);
    await sleep(LEASE_MS + MARGIN_MS + 20);
    expect((await detector.observe(['n1'])).silent).toEqual(['n1']);
    // A new incarnation's first renewal counts, whatever its counter.
    await renew('n1', 1, 'i2');
    expect((await detector.observe(['n1'])).renewed).toEqual(new Set(['n1']));
  });

  it('keeps renewing nodes alive and a malformed record counts as no renewal', async () => {
    await redis.set(ChainKeys.nodeLease('n2'), 'not json');
    for (let renewal = 1; renewal <= 8; renewal++) {
      await renew('n1', renewal);
      const verdict = await detector.observe(['n1', 'n2']);
      expect(verdict.silent).not.toContain('n1');
      await sleep(LEASE_MS / 3);
    }
    expect((await detector.observe(['n1', 'n2'])).silent).toEqual(['n2']);
  });

  it('reset forgets what was seen: a new leader waits a full lease for every node', async () => {
    await detector.observe(['n1']);
    await sleep(LEASE_MS + MARGIN_MS + 20);
    detector.reset();
    expect((await detector.observe(['n1'])).silent).toEqual([]);
  });
});
