import { ManagerKeys } from '@star/protocol';
import { type RedisServer, startRedis, TcpProxy, waitFor } from '@star/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FencedError } from './fenced-error.js';
import { Journal, nextStreamId } from './journal.js';
import type { JournalRecord } from './journal-record.js';

interface TestEntry {
  type: 'set';
  data: { writer: string; n: number };
  at: number;
}

const entry = (writer: string, n: number): TestEntry => ({ type: 'set', data: { writer, n }, at: n });

/** Takes the lead the way the election's acquire script does: next token, then the leader record. */
async function claimLead(redis: Redis, id: string, leaseMs = 60_000): Promise<number> {
  const token = await redis.incr(ManagerKeys.fence);
  await redis.set(ManagerKeys.leader, JSON.stringify({ id, address: `http://${id}`, token }), 'PX', leaseMs);
  return token;
}

describe('Journal', () => {
  let server: RedisServer;
  let admin: Redis;
  const journal = () => new Journal<TestEntry>({ redis: server.client() });

  beforeAll(async () => {
    server = await startRedis({ appendOnly: true });
    admin = server.client();
  });
  afterAll(() => server?.stop());
  beforeEach(() => admin.flushall());

  it('appends and reads entries back in order, with the writer token', async () => {
    const writer = journal();
    const token = await claimLead(admin, 'm1');
    const first = await writer.append(token, [entry('m1', 1), entry('m1', 2), entry('m1', 3)]);
    const second = await writer.append(token, [entry('m1', 4)]);
    expect(first).toHaveLength(3);

    const records = await writer.read();
    expect(records.map((r) => r.id)).toEqual([...first, ...second]);
    expect(records.map((r) => r.entry)).toEqual([1, 2, 3, 4].map((n) => entry('m1', n)));
    expect(records.every((r) => r.token === token)).toBe(true);
    expect((await writer.read(first[2])).map((r) => r.entry.data.n)).toEqual([4]);
    expect((await writer.read('0', 2)).map((r) => r.entry.data.n)).toEqual([1, 2]);
    expect(await writer.length()).toBe(4);

    const replayed: number[] = [];
    expect(await writer.replay((e) => replayed.push(e.data.n))).toBe(second[0]);
    expect(replayed).toEqual([1, 2, 3, 4]);
    const after: number[] = [];
    expect(await writer.replayFrom(first[1]!, (e) => after.push(e.data.n))).toBe(second[0]);
    expect(after).toEqual([3, 4]);
  });

  it('reads and replays a bounded range, and trims up to an id without ever moving the trim point back', async () => {
    const token = await claimLead(admin, 'm1');
    const writer = journal();
    expect(await writer.lastId()).toBeUndefined();
    const ids = await writer.append(
      token,
      Array.from({ length: 10 }, (_, n) => entry('m1', n)),
    );
    expect((await writer.readRange(ids[2]!, ids[5]!)).map((r) => r.entry.data.n)).toEqual([3, 4, 5]);
    const seen: number[] = [];
    expect(await writer.replayRange(ids[0]!, ids[3]!, (e) => seen.push(e.data.n))).toBe(ids[3]);
    expect(seen).toEqual([1, 2, 3]);
    expect(await writer.trimmedTo()).toBe('0');
    expect(await writer.trimUpTo(ids[3]!)).toBe(4);
    expect(await writer.trimmedTo()).toBe(ids[3]);
    expect((await writer.read()).map((r) => r.entry.data.n)).toEqual([4, 5, 6, 7, 8, 9]);
    // An older trim point is refused: nothing more goes, the marker stays.
    expect(await writer.trimUpTo(ids[1]!)).toBe(0);
    expect(await writer.trimmedTo()).toBe(ids[3]);
    // Trimmed to the end, the journal still knows its newest id.
    expect(await writer.trimUpTo(ids[9]!)).toBe(6);
    expect(await writer.length()).toBe(0);
    expect(await writer.lastId()).toBe(ids[9]);
    expect(nextStreamId('1712-9')).toBe('1712-10');
  });

  it('replays in pages and returns the starting id of an empty journal', async () => {
    const paged = new Journal<TestEntry>({ redis: server.client(), pageSize: 3 });
    expect(await paged.replay(() => {})).toBe('0');
    const token = await claimLead(admin, 'm1');
    const entries = Array.from({ length: 10 }, (_, n) => entry('m1', n));
    const ids = await paged.append(token, entries);
    const seen: string[] = [];
    expect(await paged.replay((_, id) => seen.push(id))).toBe(ids.at(-1));
    expect(seen).toEqual(ids);
  });

  it('accepts only the current leader: a deposed writer fails on every append and writes nothing', async () => {
    const oldToken = await claimLead(admin, 'old');
    const newToken = await claimLead(admin, 'new');
    const [oldWriter, newWriter] = [journal(), journal()];
    const attempts = Array.from({ length: 50 }, (_, n) => [
      oldWriter.append(oldToken, [entry('old', n)]),
      newWriter.append(newToken, [entry('new', n)]),
    ]).flat();
    const results = await Promise.allSettled(attempts);

    const rejected = results.filter((r, i) => i % 2 === 0 && r.status === 'rejected');
    expect(rejected).toHaveLength(50);
    const error = (rejected[0] as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(FencedError);
    expect(error).toMatchObject({ code: 'Conflict', token: oldToken, leaderToken: newToken });
    expect(error.message).toBe(`fenced: token ${oldToken} is not the leader's`);
    expect(results.filter((r, i) => i % 2 === 1 && r.status === 'fulfilled')).toHaveLength(50);

    const records = await newWriter.read('0', 1_000);
    expect(records.map((r) => r.entry.data.n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
    expect(records.every((r) => r.token === newToken && r.entry.data.writer === 'new')).toBe(true);
  });

  it('refuses every token when nobody leads (the lease expired)', async () => {
    const token = await claimLead(admin, 'm1', 50);
    await waitFor(async () => (await admin.exists(ManagerKeys.leader)) === 0, {
      description: 'lease expiry',
    });
    const error = await journal()
      .append(token, [entry('m1', 1)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FencedError);
    expect((error as FencedError).leaderToken).toBeUndefined();
    expect(await admin.exists(ManagerKeys.journal)).toBe(0);
  });

  it('refuses a token that the leader record names but the fence counter has moved past', async () => {
    const token = await claimLead(admin, 'm1');
    await admin.incr(ManagerKeys.fence);
    await expect(journal().append(token, [entry('m1', 1)])).rejects.toBeInstanceOf(FencedError);
    expect(await admin.exists(ManagerKeys.journal)).toBe(0);
  });

  it('appends a batch atomically: contiguous, and all-or-nothing', async () => {
    const token = await claimLead(admin, 'm1');
    const [a, b] = [journal(), journal()];
    const batches = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).append(
          token,
          Array.from({ length: 10 }, (_, n) => entry(`batch${i}`, n)),
        ),
      ),
    );
    const order = (await a.read('0', 1_000)).map((r) => r.id);
    for (const ids of batches) {
      const start = order.indexOf(ids[0]!);
      expect(order.slice(start, start + ids.length)).toEqual(ids);
    }

    // A stale token's batch writes nothing at all.
    const before = await a.length();
    const stale = await claimLead(admin, 'm2');
    await claimLead(admin, 'm3');
    await expect(a.append(stale, [entry('x', 1), entry('x', 2), entry('x', 3)])).rejects.toBeInstanceOf(
      FencedError,
    );
    expect(await a.length()).toBe(before);
  });

  it('refuses a whole batch up front when Redis is out of memory', async () => {
    const token = await claimLead(admin, 'm1');
    const writer = journal();
    await writer.append(token, [entry('m1', 0)]);
    await admin.config('SET', 'maxmemory', '1');
    try {
      await expect(writer.append(token, [entry('m1', 1), entry('m1', 2)])).rejects.toThrow(/OOM/);
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    expect(await writer.length()).toBe(1);
  });

  it('rejects a token that is not a positive integer without a round trip', async () => {
    await expect(journal().append(0, [entry('m1', 1)])).rejects.toMatchObject({ code: 'BadRequest' });
    await expect(journal().append(1.5, [entry('m1', 1)])).rejects.toMatchObject({ code: 'BadRequest' });
  });

  it('tails: delivers the backlog, then each new entry within 100 ms, and ends on abort', async () => {
    const token = await claimLead(admin, 'leader');
    const leader = journal();
    await leader.append(token, [entry('leader', 1), entry('leader', 2)]);

    const follower = journal();
    const seen: { record: JournalRecord<TestEntry>; at: number }[] = [];
    const controller = new AbortController();
    const tailing = follower.tail(
      '0',
      (records) => {
        for (const record of records) seen.push({ record, at: performance.now() });
      },
      controller.signal,
    );
    await waitFor(() => seen.length === 2, { description: 'backlog delivered' });

    for (let n = 3; n <= 6; n++) {
      const sentAt = performance.now();
      await leader.append(token, [entry('leader', n)]);
      await waitFor(() => seen.length === n, { description: `entry ${n}`, intervalMs: 2, timeoutMs: 1_000 });
      expect(seen.at(-1)!.at - sentAt).toBeLessThan(100);
    }
    expect(seen.map((s) => s.record.entry.data.n)).toEqual([1, 2, 3, 4, 5, 6]);

    controller.abort();
    await expect(tailing).resolves.toBeUndefined();
  });

  it('stops tailing with the error of a callback that throws', async () => {
    const token = await claimLead(admin, 'leader');
    await journal().append(token, [entry('leader', 1)]);
    const failing = journal().tail(
      '0',
      () => {
        throw new Error('apply failed');
      },
      new AbortController().signal,
    );
    await expect(failing).rejects.toThrow('apply failed');
  });

  it('redials a tail whose connection went half-open (no FIN, no RST) and reads on', async () => {
    const proxy = await TcpProxy.start({ target: { port: server.port } });
    const viaProxy = new Redis(`redis://${proxy.address}`, { maxRetriesPerRequest: null });
    try {
      const token = await claimLead(admin, 'm1');
      const writer = journal();
      await writer.append(token, [entry('m1', 1)]);
      const seen: number[] = [];
      const controller = new AbortController();
      const follower = new Journal<TestEntry>({ redis: viaProxy, tailBlockMs: 300, tailReadGraceMs: 500 });
      const tailing = follower.tail(
        '0',
        (records) => {
          for (const r of records) seen.push(r.entry.data.n);
        },
        controller.signal,
      );
      await waitFor(() => seen.length === 1, { description: 'backlog delivered' });

      // The blocked XREAD's connection goes half-open: its reply would never arrive.
      proxy.freeze();
      await writer.append(token, [entry('m1', 2)]);
      // Before the fix: never — the XREAD waited on the dead connection forever.
      await waitFor(() => seen.length === 2, {
        description: 'the tail redialed and read on',
        timeoutMs: 5_000,
      });
      expect(seen).toEqual([1, 2]);
      controller.abort();
      await tailing;
    } finally {
      viaProxy.disconnect();
      await proxy.close();
    }
  });

  it('keeps its entries, and its tails, across a Redis crash and restart (AOF)', async () => {
    const token = await claimLead(admin, 'm1');
    const writer = journal();
    const ids = await writer.append(token, [entry('m1', 1), entry('m1', 2), entry('m1', 3)]);

    const seen: number[] = [];
    const controller = new AbortController();
    const tailing = journal().tail(
      '0',
      (records) => {
        for (const r of records) seen.push(r.entry.data.n);
      },
      controller.signal,
    );
    await waitFor(() => seen.length === 3, { description: 'backlog delivered' });

    await server.kill();
    await server.restart();

    const records = await writer.read();
    expect(records.map((r) => r.id)).toEqual(ids);
    expect(records.map((r) => r.entry.data.n)).toEqual([1, 2, 3]);
    // The leader record and the fence counter survived too, so the same leader writes on.
    await writer.append(token, [entry('m1', 4)]);
    await waitFor(() => seen.length === 4, { description: 'tail resumed after restart' });
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(await admin.incr(ManagerKeys.fence)).toBe(token + 1);
    controller.abort();
    await tailing;
  });
});
