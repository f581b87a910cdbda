import { tempDir, waitFor } from '@star/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import {
  call,
  killLeftovers,
  launcher,
  pidsOf,
  processExists,
  readCluster,
  star,
  statusJson,
  waitGone,
} from './star-cli.js';

const dir = tempDir('star-up-');
const started = new Set<number>();

afterAll(async () => {
  await star(['stop', '--data-dir', dir.path]);
  killLeftovers(started);
  await dir.cleanup();
});

interface Shard {
  chain: string[];
  status: string;
}

describe('./star up, then a node crash', () => {
  it('serves put/get with the printed URL and key, reports a killed node, heals, restarts it and stops cleanly', async () => {
    // Through the launcher, as the README says; the services were built by the test pipeline.
    const up = await launcher(['up', '--data-dir', dir.path, '--no-build']);
    expect(up.code, up.stderr).toBe(0);
    const gateway = /^ {2}gateway +(http:\S+)$/m.exec(up.stdout)?.[1];
    const key = /^ {2}admin key +(\S+)$/m.exec(up.stdout)?.[1];
    expect(gateway).toBeDefined();
    expect(key).toBeDefined();
    // Progress went to stderr as the services came up; the copy-paste commands to stdout.
    expect(up.stderr).toMatch(/starting n1 \(node\)/);
    expect(up.stderr).toMatch(/g1 healthy/);
    expect(up.stdout).toContain(`curl -X PUT -H "Authorization: Bearer ${key}"`);
    expect(up.stdout).toMatch(/\.\/star keys list --gateway http/);
    expect(up.stdout).toMatch(/queues +http:\S+\/admin\/queues/);

    const cluster = readCluster(dir.path);
    for (const pid of pidsOf(cluster)) started.add(pid);
    expect(cluster.gatewayUrl).toBe(gateway);
    expect(cluster.adminKey).toBe(key);
    expect(Object.keys(cluster.services).sort()).toEqual(['c1', 'g1', 'm1', 'm2', 'n1', 'n2', 'n3', 'redis']);
    expect(pidsOf(cluster).every(processExists)).toBe(true);

    const url = (name: string) => `${gateway}/v1/namespaces/default/keys/${name}`;
    expect((await call(url('greeting'), key, { method: 'PUT', body: 'hello, star' })).status).toBe(200);
    expect(await call(url('greeting'), key)).toEqual({ status: 200, text: 'hello, star' });
    expect((await call(url('greeting'), undefined)).status).toBe(401);

    // A node crashes: status names it and exits non-zero.
    const victim = cluster.services.n2!;
    process.kill(victim.pid!, 'SIGKILL');
    await waitGone([victim.pid!]);
    const afterKill = await statusJson(dir.path);
    expect(afterKill.code).toBe(1);
    expect(afterKill.rows.find((row) => row.name === 'n2')).toMatchObject({ state: 'down', pid: null });
    expect(afterKill.rows.filter((row) => row.state !== 'healthy').map((row) => row.name)).toEqual(['n2']);
    const text = await star(['status', '--data-dir', dir.path]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^n2 +node +- +\d+ +down/m);

    // The cluster heals around it: the managers declare n2 dead and chain every shard without it
    // (still below rf 3, so `Reconfiguring` until a node comes back), and every key stays served.
    const manager = cluster.managerUrls[0]!;
    const membership = async () => {
      const { nodes } = JSON.parse((await call(`${manager}/v1/nodes`, key)).text) as {
        nodes: { id: string; state: string }[];
      };
      const { shards } = JSON.parse((await call(`${manager}/v1/shards?namespace=default`, key)).text) as {
        shards: Shard[];
      };
      return { n2: nodes.find((node) => node.id === 'n2')?.state, shards };
    };
    await waitFor(
      async () => {
        const { n2, shards } = await membership();
        return (
          n2 === 'dead' && shards.every((shard) => shard.chain.length === 2 && !shard.chain.includes('n2'))
        );
      },
      { description: 'the cluster to chain around n2', timeoutMs: 20_000, intervalMs: 200 },
    );
    for (let i = 0; i < 16; i++) {
      expect((await call(url(`k${i}`), key, { method: 'PUT', body: `v${i}` })).status).toBe(200);
    }
    for (let i = 0; i < 16; i++) expect((await call(url(`k${i}`), key)).text).toBe(`v${i}`);
    expect((await call(url('greeting'), key)).text).toBe('hello, star');

    // Restarted, it rejoins on its old port and everything is healthy again.
    const restart = await star(['restart', 'n2', '--data-dir', dir.path]);
    expect(restart.code, restart.stderr).toBe(0);
    const restarted = readCluster(dir.path).services.n2!;
    started.add(restarted.pid!);
    expect(restarted.port).toBe(victim.port);
    const healed = await statusJson(dir.path);
    expect(healed.code).toBe(0);
    expect(healed.rows.find((row) => row.name === 'n2')).toMatchObject({ state: 'healthy', role: 'alive' });
    await waitFor(
      async () =>
        (await membership()).shards.every(
          (shard) => shard.status === 'SteadyState' && shard.chain.length === 3,
        ),
      { description: 'every shard back to 3 replicas', timeoutMs: 20_000, intervalMs: 200 },
    );
    expect((await call(url('k7'), key)).text).toBe('v7');

    // stop leaves no process behind.
    const pids = pidsOf(readCluster(dir.path));
    expect(pids).toHaveLength(8);
    const stop = await star(['stop', '--data-dir', dir.path]);
    expect(stop.code, stop.stderr).toBe(0);
    await waitGone(pids);
    expect(pidsOf(readCluster(dir.path))).toEqual([]);
  });
});
