import { isReplicaAckError, type ReplicaAckPolicy } from '@star/core';
import { ManagerKeys } from '@star/protocol';
import { SentinelTopology, waitFor } from '@star/testkit';
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
 * A sentinel-aware client on the server the sentinels name primary. Right after a failover a
 * sentinel may still name a replica, and a client that connected there would hang on it once the
 * test pauses the replicas: so check, and dial again until both agree.
 */
async function clientOfPrimary(topology: SentinelTopology): Promise<Redis> {
  return waitFor(
    async () => {
      const client = topology.client();
      const role = (await client.call('ROLE')) as [string];
      if (role[0] === 'master' && client.stream.remotePort === (await topology.primaryPort())) return client;
      client.disconnect();
      return undefined;
    },
    { description: 'a client on the primary the sentinels name', timeoutMs: 30_000, intervalMs: 200 },
  );
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
  const redis = await clientOfPrimary(topology);
  const journal = new Journal<TestEntry>({ redis, replicaAcks });
  const token = await claimLead(redis, 'm1');
  await journal.append(token, [{ type: 'set', data: { n: n - 1 } }]);
  await redis.call('WAIT', 2, 2_000);
  const primary = topology.servers.get(redis.stream.remotePort!)!;
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
    // The killed primary of the first case is gone; the topology still has a primary and a replica,
    // once Sentinel has moved that replica over to the promoted one (slow on a loaded machine).
    await topology.waitForReplicas(1);
    const result = await appendThenFailOver(topology, { replicas: 1, timeoutMs: 300 }, 20);
    expect(result.outcome).toBe('refused');
  }, 60_000);
});
