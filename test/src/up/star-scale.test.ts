import { tempDir } from '@star/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { call, killLeftovers, pidsOf, readCluster, star, statusJson, waitGone } from './star-cli.js';

const dir = tempDir('star-scale-');
const started = new Set<number>();
const remember = () => {
  for (const pid of pidsOf(readCluster(dir.path))) started.add(pid);
};

afterAll(async () => {
  await star(['stop', '--data-dir', dir.path]);
  killLeftovers(started);
  await dir.cleanup();
});

describe('star scale, a second up, stale pid files', () => {
  it('adds a node, drains and removes it, refuses a second cluster, and starts again over stale pid files', async () => {
    const dataDir = ['--data-dir', dir.path];
    const bad = await star(['up', '--nodes', '2', '--rf', '3', '--no-build', ...dataDir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--rf 3 needs at least 3 nodes/);

    const up = await star(['up', '--shards', '2', '--checkpointers', '0', '--no-build', ...dataDir]);
    expect(up.code, up.stderr).toBe(0);
    remember();
    const { gatewayUrl, adminKey, managerUrls } = readCluster(dir.path);
    const url = (name: string) => `${gatewayUrl}/v1/namespaces/default/keys/${name}`;
    for (let i = 0; i < 8; i++)
      expect((await call(url(`k${i}`), adminKey, { method: 'PUT', body: `v${i}` })).status).toBe(200);

    // A second `up` on the running cluster says so and starts nothing.
    const before = pidsOf(readCluster(dir.path)).sort();
    const again = await star(['up', '--no-build', ...dataDir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already running/);
    expect(pidsOf(readCluster(dir.path)).sort()).toEqual(before);

    // logs shows a service's JSON log lines.
    const logs = await star(['logs', 'n1', '-n', '5', ...dataDir]);
    expect(logs.code).toBe(0);
    expect(logs.stdout.trim().split('\n').length).toBeGreaterThan(0);
    expect(logs.stdout).toContain('"service":"node"');

    // scale node=4: n4 starts and joins.
    const grow = await star(['scale', 'node=4', ...dataDir]);
    expect(grow.code, grow.stderr).toBe(0);
    remember();
    const grown = await statusJson(dir.path);
    expect(grown.code).toBe(0);
    expect(grown.rows.filter((row) => row.name.startsWith('n')).map((row) => [row.name, row.role])).toEqual([
      ['n1', 'alive'],
      ['n2', 'alive'],
      ['n3', 'alive'],
      ['n4', 'alive'],
    ]);

    // scale node=3: n4 is drained through the manager, removed from the membership, then stopped.
    const n4 = readCluster(dir.path).services.n4!.pid!;
    const shrink = await star(['scale', 'node=3', ...dataDir]);
    expect(shrink.code, shrink.stderr).toBe(0);
    expect(shrink.stderr).toMatch(/draining n4/);
    await waitGone([n4]);
    const nodes = JSON.parse((await call(`${managerUrls[0]}/v1/nodes`, adminKey)).text) as {
      nodes: { id: string }[];
    };
    expect(nodes.nodes.map((node) => node.id).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(readCluster(dir.path).services.n4).toBeUndefined();
    for (let i = 0; i < 8; i++) expect((await call(url(`k${i}`), adminKey)).text).toBe(`v${i}`);

    // A crash of everything leaves stale pid files: status says all are down, up starts again with the data.
    const crashed = pidsOf(readCluster(dir.path));
    for (const pid of crashed) process.kill(pid, 'SIGKILL');
    await waitGone(crashed);
    const down = await statusJson(dir.path);
    expect(down.code).toBe(1);
    expect(down.rows.every((row) => row.state === 'down')).toBe(true);
    const resumed = await star(['up', '--no-build', ...dataDir]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/are stale/);
    remember();
    expect(Object.keys(readCluster(dir.path).services).sort()).toEqual([
      'g1',
      'm1',
      'm2',
      'n1',
      'n2',
      'n3',
      'redis',
    ]);
    expect(readCluster(dir.path).adminKey).toBe(adminKey);
    for (let i = 0; i < 8; i++) expect((await call(url(`k${i}`), adminKey)).text).toBe(`v${i}`);

    const pids = pidsOf(readCluster(dir.path));
    expect((await star(['stop', ...dataDir])).code).toBe(0);
    await waitGone(pids);
  });
});
