import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkpointCommand } from '@star/cli/checkpoint';
import { CheckpointQueues } from '@star/protocol';
import { StarCluster, waitFor } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceNodes, dump, entriesApplied, images, waitForJob } from './checkpoint-helpers.js';

const queue = CheckpointQueues.managerImages;
let cluster: StarCluster;

beforeAll(async () => {
  cluster = await StarCluster.start({
    managers: 1,
    nodes: 1,
    checkpointers: 1,
    env: {
      // An image once 5,000 entries follow the newest; never for age within this test.
      STAR_IMAGE_EVERY_ENTRIES: '5000',
      STAR_IMAGE_EVERY_MS: '3600000',
      STAR_IMAGE_CHECK_EVERY_MS: '300',
    },
  });
  await cluster.waitForNodes(1);
  const { url } = await cluster.leader();
  // The announced nodes are not real: no replica may move to them.
  await cluster.api(url, 'PUT', '/v1/config', { balance: false });
  await cluster.api(url, 'POST', '/v1/namespaces', { name: 'img', shards: 2, replicationFactor: 1 });
}, 120_000);
afterAll(async () => {
  for (const renewer of renewers) await renewer.stop();
  await cluster?.stop();
});

/**
 * Virtual nodes renewing until the file ends: dead marks arriving during a later test would make
 * the managers' states race.
 */
const renewers: { stop(): Promise<void> }[] = [];
function keepAlive(nodes: { stop(): Promise<void> }): void {
  renewers.push(nodes);
}

describe('manager images', () => {
  it('after 5,000 metadata changes the schedule images the journal, trims it, and a fresh manager rebuilds identical state', async () => {
    const leader = await cluster.leader();
    const redis = cluster.redis.client();
    keepAlive(await announceNodes(cluster, { prefix: 'v', count: 100, rounds: 50, keepAlive: true }));
    const applied = await entriesApplied(cluster, leader.url);
    expect(applied).toBeGreaterThanOrEqual(5_000);

    // The scheduler's tick enqueues the image; nobody asked through the API.
    const listing = await waitFor(
      async () => {
        const current = await images(cluster, leader.url);
        return current.images.length > 0 && current.journalTrimmedTo !== '0' ? current : undefined;
      },
      { description: 'a scheduled manager image and a trimmed journal', timeoutMs: 30_000 },
    );
    const [image] = listing.images;
    expect(image!.entries).toBeGreaterThanOrEqual(5_000);
    expect(image!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(listing.journalTrimmedTo).toBe(image!.journalId);
    const scheduled = await waitForJob(cluster, leader.url, queue, `image.${image!.journalId}`);
    expect(scheduled.returnvalue).toMatchObject({ worker: 'c1', trimmedUpTo: image!.journalId });
    expect(scheduled.progress).toMatchObject({ percent: 100, bytes: image!.bytes });
    // Trimmed: the journal no longer holds the entries the image covers.
    const firstLeft = (await redis.xrange('star:manager:journal', '-', '+', 'COUNT', 1))[0]?.[0];
    expect(firstLeft === undefined || firstLeft > image!.journalId).toBe(true);
    expect(await redis.xlen('star:manager:journal')).toBeLessThan(applied - 4_000);

    // More changes after the image, then a manager started fresh: image + the rest of the journal.
    keepAlive(
      await announceNodes(cluster, { prefix: 'v', count: 100, rounds: 3, firstRound: 51, keepAlive: true }),
    );
    const fresh = await cluster.startManager('m2');
    const freshListing = await images(cluster, fresh.url);
    expect(freshListing.loadedAtStart).toBe(image!.name);
    await fresh.process.waitForLog(/metadata rebuilt from an image and the journal after it/);
    const expected = await dump(leader.url);
    await waitFor(async () => (await dump(fresh.url)) === expected, {
      description: 'm2 to match the leader',
    });
    expect(await entriesApplied(cluster, fresh.url)).toBe(await entriesApplied(cluster, leader.url));
    redis.disconnect();
  });

  it('falls back to the previous image when the newest is corrupt, and still reaches identical state', async () => {
    const leader = await cluster.leader();
    const before = (await images(cluster, leader.url)).images;
    // An image on request (API), after some more changes.
    keepAlive(await announceNodes(cluster, { prefix: 'w', count: 50, rounds: 2, keepAlive: true }));
    const requested = await cluster.api<{ journalId: string; job: { id: string } }>(
      leader.url,
      'POST',
      '/v1/checkpoints/images',
    );
    expect(requested.job.id).toBe(`image.${requested.journalId}`);
    // Asking again for the same journal position is the same job.
    const again = await cluster.api<{ job: { id: string } }>(leader.url, 'POST', '/v1/checkpoints/images');
    expect(again.job.id).toBe(requested.job.id);
    await waitForJob(cluster, leader.url, queue, requested.job.id);
    const after = (await images(cluster, leader.url)).images;
    expect(after.map((i) => i.name)).toEqual([`image.${requested.journalId}`, ...before.map((i) => i.name)]);

    // Flip bytes in the middle of the newest image on disk.
    const newest = join(cluster.imageDir, 'manager', after[0]!.name);
    const bytes = await readFile(newest);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    await writeFile(newest, bytes);

    keepAlive(
      await announceNodes(cluster, { prefix: 'w', count: 50, rounds: 1, firstRound: 3, keepAlive: true }),
    );
    await cluster.managers.get('m2')!.process.stop();
    const restarted = await cluster.startManager('m3');
    await restarted.process.waitForLog(/manager image does not verify; falling back to an older one/);
    expect((await images(cluster, restarted.url)).loadedAtStart).toBe(after[1]!.name);
    const expected = await dump(leader.url);
    await waitFor(async () => (await dump(restarted.url)) === expected, {
      description: 'm3 to match the leader',
    });
  });

  it('`star checkpoint snapshot --wait` through a follower: redirected to the leader, followed to completion', async () => {
    const leader = await cluster.leader();
    const follower = [...cluster.managers.entries()].find(
      ([id, m]) => id !== leader.id && m.process.isRunning(),
    )!;
    const { shards } = await cluster.api<{ shards: { id: number }[] }>(
      leader.url,
      'GET',
      '/v1/shards?namespace=img',
    );
    const code = await checkpointCommand('snapshot', {
      manager: follower[1].url,
      key: cluster.adminKey,
      shard: shards[0]!.id,
      wait: true,
    });
    expect(code).toBe(0);
    const listed = await cluster.api<{ snapshots: { shard: number }[] }>(
      follower[1].url,
      'GET',
      `/v1/checkpoints/snapshots?shard=${shards[0]!.id}`,
    );
    expect(listed.snapshots).toHaveLength(1);
    expect(
      await checkpointCommand('snapshot', { manager: follower[1].url, key: cluster.adminKey, shard: 999 }),
    ).toBe(1);
    // Without a key the manager refuses: exit 1 with its message.
    expect(await checkpointCommand('snapshot', { manager: follower[1].url, shard: shards[0]!.id })).toBe(1);
  });

  it('mounts the queue dashboard in the manager and reports the checkpoint queues', async () => {
    const { url } = await cluster.leader();
    const refused = await fetch(`${url}/admin/queues`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Basic/);
    // A browser sends the admin key as the Basic password.
    const basic = `Basic ${Buffer.from(`operator:${cluster.adminKey}`).toString('base64')}`;
    const page = await fetch(`${url}/admin/queues`, { headers: { authorization: basic } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('Star checkpoints');
    const api = await fetch(`${url}/admin/queues/api/queues?activeQueue=${CheckpointQueues.managerImages}`, {
      headers: cluster.authHeaders,
    });
    expect(api.status).toBe(200);
    const { queues } = (await api.json()) as { queues: { name: string; counts: Record<string, number> }[] };
    expect(queues.map((q) => q.name).sort()).toEqual(Object.values(CheckpointQueues).sort());
    const imageQueue = queues.find((q) => q.name === CheckpointQueues.managerImages)!;
    expect(imageQueue.counts.completed).toBeGreaterThanOrEqual(2);
  });

  it('refuses bad checkpoint requests with a typed error naming the problem', async () => {
    const { url } = await cluster.leader();
    const missing = await fetch(`${url}/v1/checkpoints/snapshots`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...cluster.authHeaders },
      body: JSON.stringify({ shard: 999 }),
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NotFound', message: 'no shard 999' });
    const bad = await fetch(`${url}/v1/checkpoints/compactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...cluster.authHeaders },
      body: JSON.stringify({ shard: 'one' }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()) as { message: string }).toMatchObject({ code: 'BadRequest' });
    const unknownJob = await fetch(`${url}/v1/checkpoints/jobs/${CheckpointQueues.managerImages}/image.1-0`, {
      headers: cluster.authHeaders,
    });
    expect(unknownJob.status).toBe(404);
  });
});
