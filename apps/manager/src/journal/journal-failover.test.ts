import { isReplicaAckError, type ReplicaAckPolicy } from '@star/core';
import { ManagerKeys } from '@star/protocol';
import { SentinelTopology } from '@star/testkit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from './journal.js';

interface TestEntry {
  type: 'set';
  data: { n: number };
}

async function claimLead(redis: Redis, id: string): Promise<number> {
  const token = await redis.incr(ManagerKeys.fence);
  await redis.set(ManagerKeys.leader, JSON.stringify({ id, address: `http://${id}`, token }), 'PX', 600_000);
  return token;
}

/**
 * Redis replicates asynchronously: a primary acknowledges an append its replicas never received,
 * dies, and Sentinel promotes a replica without it. The replicas are paused (SIGSTOP) and their
 * links cut so that the append cannot reach them, then the primary is killed and they resume.
 */
async function appendThenFailOver(
  topology: SentinelTopology,
  replicaAcks: ReplicaAckPolicy,
  n: number,
): Promise<{ outcome: 'acknowledged' | 'refused'; survived: boolean }> {
  const redis = topology.client();
  const journal = new Journal<TestEntry>({ redis, replicaAcks });
  const token = await claimLead(redis, 'm1');
  await journal.append(token, [{ type: 'set', data: { n: n - 1 } }]);
  await redis.call('WAIT', 2, 2_000);
  const primary = await topology.primary();
  const replicas = [...topology.servers.values()].filter((server) => server.port !== primary.port);
  for (const replica of replicas) replica.pause();
  // Paused replicas would still read what sits in their socket buffers once resumed: cut the links.
  const admin = primary.client();
  await admin.call('CLIENT', 'KILL', 'TYPE', 'replica');
  admin.disconnect();
  let outcome: 'acknowledged' | 'refused';
  try {
    await journal.append(token, [{ type: 'set', data: { n } }]);
    outcome = 'acknowledged';
  } catch (error) {
    if (!isReplicaAckError(error)) throw error;
    outcome = 'refused';
  }
  await primary.kill();
  for (const replica of replicas) replica.resume();
  await topology.waitForPromotion(primary.port);
  const entries = await journal.read('0', 10_000);
  redis.disconnect();
  return { outcome, survived: entries.some((record) => record.entry.data.n === n) };
}

describe('journal appends across a Sentinel failover', () => {
  let topology: SentinelTopology;

  beforeAll(async () => {
    topology = await SentinelTopology.start();
  }, 60_000);
  afterAll(async () => {
    await topology?.stop();
  });

  it('without replica acks, an acknowledged append is lost by the failover (what WAIT prevents)', async () => {
    const result = await appendThenFailOver(topology, { replicas: 0, timeoutMs: 300 }, 10);
    expect(result).toEqual({ outcome: 'acknowledged', survived: false });
  }, 60_000);

  it('with one replica ack, the append that no replica holds is refused (retryable), never acknowledged', async () => {
    // The killed primary of the first case is gone; the topology still has a primary and a replica.
    const result = await appendThenFailOver(topology, { replicas: 1, timeoutMs: 300 }, 20);
    expect(result.outcome).toBe('refused');
  }, 60_000);
});
