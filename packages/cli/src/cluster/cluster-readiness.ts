import { sleep } from '@star/testkit';
import type { ManagerApi } from './manager-api.js';
import type { Progress } from './progress.js';

/** Polls `probe` until it returns true; throws `what` after `timeoutMs`, with the last problem seen. */
async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let problem = '';
  for (;;) {
    try {
      if (await probe()) return;
    } catch (error) {
      problem = `: ${(error as Error).message}`;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${problem}`);
    await sleep(200);
  }
}

/** Waits until the leader counts every node in `names` as alive. */
export async function waitForNodesAlive(
  api: ManagerApi,
  names: string[],
  progress: Progress,
  timeoutMs = 30_000,
): Promise<void> {
  if (names.length === 0) return;
  progress.step(`waiting for the leader to see ${names.join(', ')} alive`);
  await until(`nodes ${names.join(', ')} to join`, timeoutMs, async () => {
    const alive = new Set(
      (await api.nodes()).filter((node) => node.state === 'alive').map((node) => node.id),
    );
    return names.every((name) => alive.has(name));
  });
}

/**
 * Creates namespace `name` unless it exists, then waits until each of its shards has a full chain
 * in steady state, so the first request through the gateway finds every shard served.
 */
export async function ensureNamespace(
  api: ManagerApi,
  namespace: { name: string; shards: number; replicationFactor: number },
  progress: Progress,
  timeoutMs = 30_000,
): Promise<void> {
  const created = await api.ensureNamespace(namespace);
  progress.step(
    created
      ? `created namespace ${namespace.name} (${namespace.shards} shards, rf ${namespace.replicationFactor})`
      : `namespace ${namespace.name} exists`,
  );
  await until(`the shards of ${namespace.name} to settle`, timeoutMs, async () => {
    const shards = await api.shards(namespace.name);
    return (
      shards.length > 0 && shards.every((shard) => shard.status === 'SteadyState' && shard.chain.length > 0)
    );
  });
  progress.step(`namespace ${namespace.name} ready`);
}

/**
 * Takes node `id` out of service without losing a replica: drain (the manager moves its replicas
 * to other nodes), wait until it holds none, then remove it from the membership.
 */
export async function drainAndRemoveNode(
  api: ManagerApi,
  id: string,
  progress: Progress,
  timeoutMs = 120_000,
): Promise<void> {
  progress.step(`draining ${id}`);
  await api.drain(id);
  await until(
    `${id} to hand over its replicas`,
    timeoutMs,
    async () => (await api.shardsOf(id)).length === 0,
  );
  await api.remove(id);
  progress.step(`${id} drained and removed from the cluster`);
}
