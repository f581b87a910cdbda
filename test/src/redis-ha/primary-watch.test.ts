import { connectRedis, type PrimaryChange, PrimaryWatch, ReplicaAckError, withReplicaAck } from '@star/core';
import { type RedisServer, startRedis, waitFor } from '@star/testkit';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const logger = pino({ level: 'silent' });

describe('PrimaryWatch and replica acks on a real redis-server', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedis({ appendOnly: true });
  });
  afterAll(() => server?.stop());

  it('reports a primary change when the Redis it reconnects to is another process (run id)', async () => {
    const redis = connectRedis(server.url, logger);
    const watch = new PrimaryWatch(redis, logger);
    const changes: PrimaryChange[] = [];
    watch.on('changed', (change) => changes.push(change));
    await waitFor(() => watch.runId !== undefined, { description: 'the first run id' });
    const first = watch.runId;
    // A reconnect to the same process is no change.
    redis.disconnect(true);
    await waitFor(() => redis.status === 'ready', { description: 'a reconnect' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(changes).toEqual([]);
    await server.restart();
    await waitFor(() => changes.length === 1, { description: 'a primary change', timeoutMs: 15_000 });
    expect(changes[0]).toMatchObject({ previousRunId: first, runId: watch.runId });
    expect(watch.changes).toBe(1);
    redis.disconnect();
  }, 30_000);

  it('refuses a write no replica acknowledges as retryable, and passes it through without a policy', async () => {
    const redis = connectRedis(server.url, logger);
    await expect(
      withReplicaAck(redis, { replicas: 0, timeoutMs: 50 }, () => redis.set('k', '1')),
    ).resolves.toBe('OK');
    const refused = withReplicaAck(redis, { replicas: 1, timeoutMs: 50 }, () => redis.set('k', '2'));
    await expect(refused).rejects.toBeInstanceOf(ReplicaAckError);
    await expect(refused).rejects.toMatchObject({ code: 'Unavailable', details: { acked: 0, wanted: 1 } });
    // The primary took it all the same: the writer must not act on it, a later reader may see it.
    expect(await redis.get('k')).toBe('2');
    redis.disconnect();
  });
});
