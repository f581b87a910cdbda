import {
  ChainKeys,
  ControlPlaneCodecs,
  type ManagerImageManifest,
  type NodeLeaseRecord,
  type NodeRegistration,
  type ShardSnapshotManifest,
} from '@star/protocol';
import { type StarCluster, waitFor } from '@star/testkit';

export interface ImageListing {
  images: ManagerImageManifest[];
  journalTrimmedTo: string;
  loadedAtStart: string | null;
}

export interface JobView {
  id: string;
  state: string;
  progress: { percent?: number; bytes?: number } | number;
  attemptsMade: number;
  returnvalue: { worker: string; [key: string]: unknown } | null;
  failedReason: string | null;
}

export async function dump(url: string): Promise<string> {
  const response = await fetch(`${url}/v1/cluster/dump`);
  return response.text();
}

export function images(cluster: StarCluster, url: string): Promise<ImageListing> {
  return cluster.api<ImageListing>(url, 'GET', '/v1/checkpoints/images');
}

export async function snapshots(
  cluster: StarCluster,
  url: string,
  shard?: number,
): Promise<ShardSnapshotManifest[]> {
  const query = shard === undefined ? '' : `?shard=${shard}`;
  return (
    await cluster.api<{ snapshots: ShardSnapshotManifest[] }>(url, 'GET', `/v1/checkpoints/snapshots${query}`)
  ).snapshots;
}

export function job(cluster: StarCluster, url: string, queue: string, id: string): Promise<JobView> {
  return cluster.api<JobView>(url, 'GET', `/v1/checkpoints/jobs/${queue}/${encodeURIComponent(id)}`);
}

export async function waitForJob(
  cluster: StarCluster,
  url: string,
  queue: string,
  id: string,
  timeoutMs = 60_000,
): Promise<JobView> {
  return waitFor(
    async () => {
      const view = await job(cluster, url, queue, id).catch(() => undefined);
      if (view?.state === 'failed') throw new Error(`job ${id} failed: ${view.failedReason}`);
      return view?.state === 'completed' ? view : undefined;
    },
    { description: `job ${id} in ${queue} to complete`, timeoutMs },
  );
}

/** Journal entries the manager at `url` has applied. */
export async function entriesApplied(cluster: StarCluster, url: string): Promise<number> {
  return (await cluster.api<{ entries: number }>(url, 'GET', '/v1/cluster/status')).entries;
}

/**
 * Makes metadata changes the way nodes make them: announcing (or re-announcing with a changed
 * capacity) in the node registry, with a lease record, which the leader journals as
 * `node.registered`. `count` registrations per round, capacity = round; waits until the leader
 * journaled each round. The virtual nodes never renew, so the leader marks them dead a lease later
 * (more journal entries) — unless `keepAlive`, which renews their leases until `stop()` is called.
 */
export async function announceNodes(
  cluster: StarCluster,
  options: { prefix: string; count: number; rounds: number; firstRound?: number; keepAlive?: boolean },
): Promise<{ stop(): Promise<void> }> {
  const redis = cluster.redis.client();
  const ids = Array.from({ length: options.count }, (_, i) => `${options.prefix}${i}`);
  const renewLeases = async (batch = redis.multi()): Promise<void> => {
    // The clock as the counter: it grows across calls that announce the same virtual nodes again.
    const renewal = Date.now();
    for (const id of ids) {
      const lease = { incarnation: 'virtual', renewal } satisfies NodeLeaseRecord;
      batch.set(ChainKeys.nodeLease(id), ControlPlaneCodecs.nodeLease.encode(lease), 'PX', 600_000);
    }
    await batch.exec();
  };
  try {
    const { url } = await cluster.leader();
    const first = options.firstRound ?? 1;
    for (let round = first; round < first + options.rounds; round++) {
      const before = await entriesApplied(cluster, url);
      const batch = redis.multi();
      ids.forEach((id, i) => {
        const registration = {
          id,
          address: `127.0.0.1:${20_000 + i}`,
          group: 'virtual',
          capacity: round,
          startedAt: 1,
          incarnation: 'virtual',
        } satisfies NodeRegistration;
        batch.hset(ChainKeys.nodeRegistry, id, ControlPlaneCodecs.nodeRegistration.encode(registration));
      });
      await renewLeases(batch);
      await waitFor(async () => (await entriesApplied(cluster, url)) >= before + options.count, {
        description: `round ${round} of node announcements journaled`,
        timeoutMs: 30_000,
        intervalMs: 20,
      });
    }
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  if (options.keepAlive !== true) {
    redis.disconnect();
    return { stop: async () => {} };
  }
  // A quarter lease apart, so the leader always sees a renewal within its lease plus margin.
  let renewing = Promise.resolve();
  const timer = setInterval(() => {
    renewing = renewing.then(() => renewLeases()).catch(() => {});
  }, 250);
  return {
    async stop() {
      clearInterval(timer);
      await renewing;
      redis.disconnect();
    },
  };
}

/** The value of one Prometheus series at `url/metrics` (0 when absent). */
export async function metric(
  url: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = Object.entries(labels).every(([key, value]) => match[2]?.includes(`${key}="${value}"`));
    if (found) return Number(match[3]);
  }
  return 0;
}
