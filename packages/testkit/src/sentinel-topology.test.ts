import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentinelTopology } from './sentinel-topology.js';
import { waitFor } from './wait-for.js';

describe('SentinelTopology', () => {
  let topology: SentinelTopology;

  beforeAll(async () => {
    topology = await SentinelTopology.start();
  }, 60_000);

  afterAll(async () => {
    await topology?.stop();
  });

  it('starts a primary with two replicas and three sentinels that agree on it', async () => {
    const primary = await topology.primary();
    expect(await topology.roleOf(primary.port)).toBe('master');
    const replicas = [...topology.servers.keys()].filter((port) => port !== primary.port);
    expect(replicas).toHaveLength(2);
    for (const port of replicas) expect(await topology.roleOf(port)).toBe('slave');
    expect(topology.sentinelPorts).toHaveLength(3);
    expect(topology.env.STAR_REDIS_SENTINELS.split(',')).toHaveLength(3);
  });

  it('promotes a replica when the primary is killed, and a sentinel client follows it', async () => {
    const client = topology.client();
    await client.set('before', '1');
    expect(await client.call('WAIT', 1, 1_000)).toBeGreaterThanOrEqual(1);
    const killed = await topology.killPrimary();
    const promoted = await topology.waitForPromotion(killed);
    expect(promoted).not.toBe(killed);
    // The write acknowledged by a replica (WAIT) survived the failover.
    expect(await client.get('before')).toBe('1');
    await client.set('after', '2');
    expect(await client.get('after')).toBe('2');
  }, 60_000);

  it('a promoted replica restarted at once comes back as the primary (before: as a replica of its replica, and no primary at all)', async () => {
    const port = await topology.primaryPort();
    const promoted = topology.servers.get(port)!;
    // Sentinel rewrote the promoted server's redis.conf when it promoted it.
    await waitFor(() => !readFileSync(join(promoted.dir, 'redis.conf'), 'utf8').includes('replicaof'), {
      description: 'the promotion written into redis.conf',
      timeoutMs: 15_000,
    });
    await promoted.kill();
    await promoted.restart();
    expect(await topology.roleOf(port)).toBe('master');
  }, 60_000);
});
