import { failpoints } from '@star/core';
import { ManagerKeys, type NodeInfo } from '@star/protocol';
import { type RedisServer, startRedis } from '@star/testkit';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Journal } from '../journal/index.js';
import type { MetadataEntry } from '../metadata/journal-entries.js';
import { MetadataStore } from '../metadata/metadata-store.js';
import { JournalLagError, LeaderCatchUp } from './leader-catch-up.js';

const DEADLINE_MS = 400;
const logger = pino({ level: 'silent' });
const TAIL = { name: 'manager.journal-tail' } as const;

const registered = (id: string): MetadataEntry => ({
  type: 'node.registered',
  data: {
    node: {
      id,
      publicAddress: `${id}:1`,
      internalAddress: `${id}:2`,
      group: 'g',
      capacity: 1,
      state: 'alive',
    },
  } satisfies { node: NodeInfo },
});

async function claimLead(redis: Redis): Promise<number> {
  const token = await redis.incr(ManagerKeys.fence);
  await redis.set(
    ManagerKeys.leader,
    JSON.stringify({ id: 'm1', address: 'http://m1', token }),
    'PX',
    60_000,
  );
  return token;
}

describe('LeaderCatchUp', () => {
  let server: RedisServer;
  let redis: Redis;
  let store: MetadataStore;
  let journal: Journal<MetadataEntry>;
  let catchUp: LeaderCatchUp;
  let token: number;

  beforeAll(async () => {
    server = await startRedis();
    redis = server.client();
  });
  afterAll(() => server?.stop());
  beforeEach(async () => {
    await redis.flushall();
    token = await claimLead(redis);
    journal = new Journal<MetadataEntry>({ redis, tailBlockMs: 200 });
    store = new MetadataStore(journal, logger);
    await store.start();
    catchUp = new LeaderCatchUp({ journal, store, deadlineMs: DEADLINE_MS, logger });
  });
  afterEach(() => {
    failpoints.clearAll();
    store.stop();
  });

  it('commits: resolves once the store applied the entries', async () => {
    await catchUp.ready();
    await catchUp.commit(token, [registered('n1')]);
    expect(store.state.nodes.has('n1')).toBe(true);
    await catchUp.ready();
  });

  it('a stalled tail fails the change within the deadline, and the next ones, until the tail resumes', async () => {
    await catchUp.ready();
    failpoints.set(TAIL, { action: { kind: 'pause' } });
    const started = performance.now();
    const failed = await catchUp.commit(token, [registered('n1')]).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(JournalLagError);
    expect(performance.now() - started).toBeLessThan(DEADLINE_MS + 300);
    const { code, retryable, details } = failed as JournalLagError;
    expect({ code, retryable, reason: details?.reason }).toEqual({
      code: 'Unavailable',
      retryable: true,
      reason: 'journal-lag',
    });
    const journaled = details?.journaled as string;
    expect(journaled).toBe(await journal.lastId());
    // The next change must not decide on the stale state: it is refused before it appends.
    await expect(catchUp.ready()).rejects.toBeInstanceOf(JournalLagError);
    expect(await journal.length()).toBe(1);

    failpoints.clear(TAIL);
    await catchUp.ready();
    expect(store.state.lastEntryId).toBe(journaled);
    expect(store.state.nodes.has('n1')).toBe(true);
  });

  it("after an election, waits for the journal's end, not only for its own appends", async () => {
    await catchUp.ready();
    failpoints.set(TAIL, { action: { kind: 'pause' } });
    // A former leader's appends the store has not applied (its tail holds them).
    await journal.append(token, [registered('n1')]);
    await journal.append(token, [registered('n2')]);
    catchUp.reset();
    await expect(catchUp.ready()).rejects.toMatchObject({
      code: 'Unavailable',
      details: { waitingFor: await journal.lastId() },
    });

    failpoints.clear(TAIL);
    await catchUp.ready();
    expect([...store.state.nodes.keys()].sort()).toEqual(['n1', 'n2']);
  });
});
