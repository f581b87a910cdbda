import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pingRedis } from '../redis-ping.js';
import { type RedisServer, startRedis } from '../redis-server.js';
import { completeGrudge } from './grudges.js';
import { netlabUnavailableReason } from './lab-tools.js';
import { NetworkLab } from './network-lab.js';

const unavailable = await netlabUnavailableReason();
if (unavailable !== undefined) {
  const message = `SERVICES-ON-HOSTS TESTS CANNOT RUN: ${unavailable}`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n${'!'.repeat(80)}\n${message}\n${'!'.repeat(80)}\n`);
}

describe.skipIf(unavailable !== undefined)('services on lab hosts', () => {
  let lab: NetworkLab;
  let redis: RedisServer;

  beforeAll(async () => {
    lab = await NetworkLab.start({ hosts: ['redis', 'client'] });
    redis = await startRedis({ host: lab.host('redis') });
  }, 30_000);

  afterAll(async () => {
    await redis?.stop();
    await lab?.stop();
  });

  it("runs Redis inside its host, bound to the host's address, and the harness reaches it", async () => {
    expect(redis.url).toBe(`redis://${lab.host('redis').address}:${redis.port}`);
    expect(await pingRedis(redis.port, 1_000, lab.host('redis').address)).toBe(true);
    // Bound to the host's address, not the harness's loopback.
    expect(await pingRedis(redis.port, 500)).toBe(false);
    expect(await redis.client().set('k', 'v')).toBe('OK');
  });

  it('the process in the host is the service itself: SIGSTOP freezes it, SIGCONT thaws it', async () => {
    redis.pause();
    expect(await pingRedis(redis.port, 500, lab.host('redis').address)).toBe(false);
    redis.resume();
    expect(await pingRedis(redis.port, 1_000, lab.host('redis').address)).toBe(true);
  });

  it('a partition cuts another host from it while the harness still reaches it', async () => {
    const client = lab.host('client');
    const ping = `require('node:net').createConnection(${redis.port}, '${lab.host('redis').address}')
      .on('connect', () => { console.log('up'); process.exit(0); })
      .on('error', () => { console.log('down'); process.exit(0); });
      setTimeout(() => { console.log('down'); process.exit(0); }, 1000);`;
    expect((await client.exec(process.execPath, ['-e', ping])).trim()).toBe('up');
    await lab.rules.partition(completeGrudge([['client'], ['redis']]));
    expect((await client.exec(process.execPath, ['-e', ping])).trim()).toBe('down');
    expect(await pingRedis(redis.port, 1_000, lab.host('redis').address)).toBe(true);
    await lab.heal();
    expect((await client.exec(process.execPath, ['-e', ping])).trim()).toBe('up');
  });
});
