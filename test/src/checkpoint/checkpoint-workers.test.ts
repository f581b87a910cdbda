import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LinkClient } from '@star/core';
import { ChainMethods, CheckpointQueues, LinkDefaults } from '@star/protocol';
import { type RunningService, StarCluster, waitFor } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { announceNodes, images, job, metric, snapshots, waitForJob } from './checkpoint-helpers.js';

let cluster: StarCluster;

beforeAll(async () => {
  cluster = await StarCluster.start({
    managers: 1,
    nodes: 1,
    checkpointers: 2,
    env: {
      // Slow writes so jobs overlap and a worker can be killed mid-job; a short lock so a dead
      // worker's job is taken over within seconds.
      STAR_WRITE_BYTES_PER_SEC: '40000',
      STAR_LOCK_DURATION_MS: '1500',
    },
  });
  await cluster.waitForNodes(1);
  const { url } = await cluster.leader();
  await cluster.api(url, 'PUT', '/v1/config', { balance: false });
  await cluster.api(url, 'POST', '/v1/namespaces', { name: 'pool', shards: 6, replicationFactor: 1 });
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
});

describe('checkpointer pool', () => {
  it('two checkpointers share the load: snapshot jobs are seen on both', async () => {
    const { url } = await cluster.leader();
    const { shards } = await cluster.api<{ shards: { id: number }[] }>(
      url,
      'GET',
      '/v1/shards?namespace=pool',
    );
    const requested = await Promise.all(
      shards.map((shard) =>
        cluster.api<{ job: { id: string } }>(url, 'POST', '/v1/checkpoints/snapshots', { shard: shard.id }),
      ),
    );
    const done = await Promise.all(
      requested.map((r) => waitForJob(cluster, url, CheckpointQueues.shardSnapshots, r.job.id)),
    );
    const workers = new Set(done.map((view) => view.returnvalue?.worker));
    expect(workers).toEqual(new Set(['c1', 'c2']));
    // Every snapshot is listed with its size and checksum, and the bytes on disk match them.
    const listed = await snapshots(cluster, url);
    expect(listed.map((s) => s.shard).sort()).toEqual(shards.map((s) => s.id).sort());
    for (const manifest of listed) {
      const path = join(cluster.imageDir, 'shards', String(manifest.shard), manifest.name);
      const bytes = await readFile(path);
      expect(bytes.length).toBe(manifest.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(manifest.sha256);
    }
    // Queue metrics: each checkpointer reports the whole queue (the scheduler's ticks included),
    // and what it ran itself.
    for (const checkpointer of cluster.checkpointers.values()) {
      expect(
        await metric(checkpointer.url, 'star_checkpoint_queue_jobs', {
          queue: CheckpointQueues.shardSnapshots,
          state: 'completed',
        }),
      ).toBeGreaterThanOrEqual(shards.length);
    }
    const ranHere = await Promise.all(
      [...cluster.checkpointers.values()].map((c) =>
        metric(c.url, 'star_checkpoint_jobs_total', { job: 'shard-snapshot', outcome: 'completed' }),
      ),
    );
    expect(ranHere.reduce((a, b) => a + b, 0)).toBe(shards.length);
    expect(ranHere.every((count) => count > 0)).toBe(true);
  });

  it('a worker killed mid-job: another retries it, one valid image, no duplicates, nothing half-written under the final name', async () => {
    const { url } = await cluster.leader();
    // A state big enough that writing its image at 40 kB/s takes a few seconds.
    // Kept renewing: dead marks would move the journal on and make the last request a new image.
    const virtualNodes = await announceNodes(cluster, {
      prefix: 'big-node-with-a-long-name-',
      count: 1_000,
      rounds: 1,
      keepAlive: true,
    });
    onTestFinished(() => virtualNodes.stop());
    const requested = await cluster.api<{ journalId: string; job: { id: string } }>(
      url,
      'POST',
      '/v1/checkpoints/images',
    );
    const name = `image.${requested.journalId}`;
    const directory = join(cluster.imageDir, 'manager');
    // Watch the final name the whole time: whenever it exists, record its size.
    const seenSizes = new Set<number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const info = await stat(join(directory, name)).catch(() => undefined);
        if (info !== undefined) seenSizes.add(info.size);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();

    const started = new RegExp(`"job":"${name.replace(/[.]/g, '\\.')}".*checkpoint job started`);
    const holder = await Promise.any(
      [...cluster.checkpointers.entries()].map(async ([id, c]) => {
        await c.process.waitForLog(started, 20_000);
        return [id, c] as [string, RunningService];
      }),
    );
    await waitFor(
      async () => {
        const view = await job(cluster, url, CheckpointQueues.managerImages, requested.job.id);
        return typeof view.progress === 'object' && (view.progress.bytes ?? 0) > 0 && view.state === 'active';
      },
      { description: 'the image job to be part-written', intervalMs: 20 },
    );
    holder[1].process.kill('SIGKILL');
    await holder[1].process.exited;
    expect(await images(cluster, url).then((l) => l.images.some((i) => i.name === name))).toBe(false);

    const done = await waitForJob(cluster, url, CheckpointQueues.managerImages, requested.job.id, 60_000);
    watching = false;
    await watcher;
    const survivor = holder[0] === 'c1' ? 'c2' : 'c1';
    expect(done.returnvalue?.worker).toBe(survivor);

    const listing = (await images(cluster, url)).images.filter((i) => i.name === name);
    expect(listing).toHaveLength(1);
    const manifest = listing[0]!;
    const bytes = await readFile(join(directory, name));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(manifest.sha256);
    expect(JSON.parse(bytes.toString('utf8')).state.journalId).toBe(requested.journalId);
    // Under the final name only ever the whole file; the dead worker's temp file was cleared.
    expect([...seenSizes]).toEqual([manifest.bytes]);
    const files = (await readdir(directory)).filter((file) => file.includes(requested.journalId));
    expect(files.sort()).toEqual([name, `${name}.manifest.json`]);
    // Asking for the same image again is the same, finished job: no second image.
    const again = await cluster.api<{ job: { id: string; state: string } }>(
      url,
      'POST',
      '/v1/checkpoints/images',
    );
    expect(again.job).toMatchObject({ id: requested.job.id, state: 'completed' });
    await cluster.startCheckpointer(holder[0]);
  });

  it('compacts every replica of a shard on request: old tombstones go, live keys stay', async () => {
    const { url } = await cluster.leader();
    const { shards } = await cluster.api<{ shards: { id: number; chain: string[] }[] }>(
      url,
      'GET',
      '/v1/shards?namespace=pool',
    );
    const shard = shards[0]!;
    const { nodes } = await cluster.api<{ nodes: { id: string; internalAddress: string }[] }>(
      url,
      'GET',
      '/v1/nodes',
    );
    const link = new LinkClient({
      url: `ws://${nodes.find((n) => n.id === shard.chain[0])!.internalAddress}${LinkDefaults.path}`,
    });
    try {
      for (let i = 0; i < 20; i++) {
        await link.request(ChainMethods.put, { shard: shard.id, key: `c${i}`, value: Buffer.from('x') });
      }
      for (let i = 0; i < 15; i++) await link.request(ChainMethods.delete, { shard: shard.id, key: `c${i}` });
      const requested = await cluster.api<{ jobs: { id: string }[] }>(
        url,
        'POST',
        '/v1/checkpoints/compactions',
        {
          shard: shard.id,
          retentionMs: 0,
        },
      );
      expect(requested.jobs).toHaveLength(shard.chain.length);
      for (const queued of requested.jobs) {
        const done = await waitForJob(cluster, url, CheckpointQueues.shardCompaction, queued.id);
        expect(done.returnvalue).toMatchObject({ shard: shard.id, tombstonesDropped: 15 });
      }
      const answer = await link.request<{ found: boolean }>(ChainMethods.get, {
        shard: shard.id,
        key: 'c19',
      });
      expect(answer.found).toBe(true);
    } finally {
      link.close();
    }
  });
});
