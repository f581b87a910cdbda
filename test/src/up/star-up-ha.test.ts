import { tempDir, waitFor } from '@star/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { call, killLeftovers, launcher, pidsOf, readCluster, star, statusJson } from './star-cli.js';

const dir = tempDir('star-up-ha-');
const started = new Set<number>();

afterAll(async () => {
  await star(['stop', '--data-dir', dir.path]);
  killLeftovers(started);
  await dir.cleanup();
});

const primaryOf = (rows: { name: string; role: string }[]) =>
  rows.filter((row) => row.role === 'primary').map((row) => row.name);

describe('./star up --ha', () => {
  it('runs Redis as a primary, two replicas and three sentinels; status names the primary, also after it is killed', async () => {
    const up = await launcher(['up', '--ha', '--data-dir', dir.path, '--no-build'], 120_000);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/^ {2}sentinels +127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+ /m);
    const cluster = readCluster(dir.path);
    for (const pid of pidsOf(cluster)) started.add(pid);
    expect(Object.keys(cluster.services).sort()).toEqual([
      'c1',
      'g1',
      'm1',
      'm2',
      'n1',
      'n2',
      'n3',
      'redis',
      'replica1',
      'replica2',
      'sentinel1',
      'sentinel2',
      'sentinel3',
    ]);
    const status = await statusJson(dir.path);
    expect(status.code).toBe(0);
    expect(primaryOf(status.rows)).toEqual(['redis']);
    expect(
      status.rows
        .filter((row) => row.role === 'replica')
        .map((row) => row.name)
        .sort(),
    ).toEqual(['replica1', 'replica2']);

    const key = cluster.adminKey;
    const url = (name: string) => `${cluster.gatewayUrl}/v1/namespaces/default/keys/${name}`;
    expect((await call(url('greeting'), key, { method: 'PUT', body: 'before' })).status).toBe(200);

    process.kill(cluster.services.redis!.pid!, 'SIGKILL');
    const promoted = await waitFor(
      async () => {
        const primaries = primaryOf((await statusJson(dir.path)).rows);
        return primaries.length === 1 && primaries[0] !== 'redis' ? primaries[0] : undefined;
      },
      // Down after 2 s, then a vote; a split vote is retried after twice the 5 s failover timeout.
      { description: 'status to name a promoted replica as primary', timeoutMs: 45_000, intervalMs: 500 },
    );
    expect(promoted).toMatch(/^replica[12]$/);
    await waitFor(
      async () => (await call(url('greeting'), key, { method: 'PUT', body: 'after' })).status === 200,
      {
        description: 'a write through the gateway after the failover',
        timeoutMs: 30_000,
        intervalMs: 250,
      },
    );
    expect(await call(url('greeting'), key)).toEqual({ status: 200, text: 'after' });
    const stop = await star(['stop', '--data-dir', dir.path]);
    expect(stop.code, stop.stderr).toBe(0);
  }, 180_000);
});
