import type { Shard } from '@star/protocol';
import { StarCluster, waitFor } from '@star/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const SECRET = 'leader-liveness-secret';
/** The managers' commit deadline in these tests (STAR_COMMIT_TIMEOUT_MS). */
const COMMIT_TIMEOUT_MS = 2_000;
/**
 * How long a change may take to fail while the tail is stalled: one membership check already
 * waiting in the serialized queue (one deadline), then the change's own wait (one more), plus slack.
 */
const FAIL_WITHIN_MS = 2 * COMMIT_TIMEOUT_MS + 3_000;
/** The test's own deadline for an admin write; before the fix a stalled tail outlasted it. */
const TEST_DEADLINE_MS = 15_000;

let cluster: StarCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function start(): Promise<StarCluster> {
  cluster = await StarCluster.start({
    managers: 2,
    nodes: 3,
    env: { STAR_CLUSTER_SECRET: SECRET, STAR_COMMIT_TIMEOUT_MS: String(COMMIT_TIMEOUT_MS) },
  });
  await cluster.waitForNodes(3);
  return cluster;
}

/** Arms (`action`) or disarms (undefined) the journal-tail failpoint of one manager. */
async function stallTail(url: string, action: string | undefined): Promise<void> {
  const response = await fetch(`${url}/internal/failpoints/manager.journal-tail`, {
    method: action === undefined ? 'DELETE' : 'PUT',
    headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'text/plain' },
    ...(action === undefined ? {} : { body: action }),
  });
  if (!response.ok) throw new Error(`failpoint: ${response.status} ${await response.text()}`);
}

/** The shard ids each `namespace.created` entry of the journal allocated, by namespace. */
async function shardIdsInJournal(c: StarCluster): Promise<Map<string, number[]>> {
  const entries = await c.redis.client().xrange('star:manager:journal', '-', '+');
  const allocated = new Map<string, number[]>();
  for (const [, fields] of entries) {
    const entry = JSON.parse(fields[fields.indexOf('e') + 1]!) as {
      type: string;
      data: { namespace?: { name: string }; shards?: Shard[] };
    };
    if (entry.type !== 'namespace.created') continue;
    allocated.set(
      entry.data.namespace!.name,
      entry.data.shards!.map((s) => s.id),
    );
  }
  return allocated;
}

type Outcome =
  | { kind: 'created'; shards: Shard[]; ms: number }
  | { kind: 'refused'; status: number; code: string; ms: number }
  | { kind: 'timed out'; ms: number };

/** POST /v1/namespaces with the test's own deadline: what came back, and after how long. */
async function createNamespace(c: StarCluster, url: string, name: string, shards = 2): Promise<Outcome> {
  const started = Date.now();
  try {
    const response = await fetch(`${url}/v1/namespaces`, {
      method: 'POST',
      headers: { ...c.authHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ name, shards, replicationFactor: 2 }),
      signal: AbortSignal.timeout(TEST_DEADLINE_MS),
    });
    const body = (await response.json()) as { shards?: Shard[]; code?: string };
    const ms = Date.now() - started;
    if (response.ok) return { kind: 'created', shards: body.shards!, ms };
    return { kind: 'refused', status: response.status, code: body.code ?? '?', ms };
  } catch (error) {
    if ((error as Error).name !== 'TimeoutError') throw error;
    return { kind: 'timed out', ms: Date.now() - started };
  }
}

describe('leader liveness: the journal tail decides when the leader may act', () => {
  it('a follower elected while its tail lags catches up before it allocates shard ids', async () => {
    const c = await start();
    const leader = await c.leader();
    const follower = [...c.managers].find(([id]) => id !== leader.id)!;
    await stallTail(follower[1].url, 'pause');

    const first = await createNamespace(c, leader.url, 'before-failover');
    expect(first.kind).toBe('created');
    const firstIds = (first as { shards: Shard[] }).shards.map((s) => s.id);
    c.managers.get(leader.id)!.process.kill('SIGKILL');
    const elected = await c.leader(15_000);
    expect(elected.id).toBe(follower[0]);

    // Its tail still holds the batch with 'before-failover': it must not act on that stale state.
    const during = await createNamespace(c, elected.url, 'after-failover');
    await stallTail(elected.url, undefined);
    await waitFor(
      async () => {
        const outcome = await createNamespace(c, elected.url, 'after-failover');
        return outcome.kind === 'created' || (outcome.kind === 'refused' && outcome.status === 409);
      },
      { description: "'after-failover' to exist once the tail resumed", timeoutMs: 20_000 },
    );
    const allocated = await shardIdsInJournal(c);
    console.info({ during, allocated: Object.fromEntries(allocated) });
    // Before the fix: 'after-failover' was journaled with ids [1, 2], the ids of 'before-failover'.
    const ids = [...allocated.values()].flat();
    expect(new Set(ids).size).toBe(ids.length);
    expect(allocated.get('before-failover')).toEqual(firstIds);
    expect(during).toMatchObject({ kind: 'refused', status: 503, code: 'Unavailable' });
    expect(during.ms).toBeLessThan(FAIL_WITHIN_MS);
  }, 90_000);

  it('a stalled tail on the leader fails admin writes with a retryable error instead of wedging them', async () => {
    const c = await start();
    const leader = await c.leader();
    await stallTail(leader.url, 'pause');

    const stalled = await createNamespace(c, leader.url, 'while-stalled');
    console.info({ stalled });
    // Before the fix: 'timed out' — the change waited for the tail forever, past the test's deadline.
    expect(stalled).toMatchObject({ kind: 'refused', status: 503, code: 'Unavailable' });
    expect(stalled.ms).toBeLessThan(FAIL_WITHIN_MS);
    // The queue is not wedged: the next change is answered too (refused while the tail is stalled).
    const next = await createNamespace(c, leader.url, 'next');
    expect(next).toMatchObject({ kind: 'refused', status: 503, code: 'Unavailable' });
    expect(next.ms).toBeLessThan(FAIL_WITHIN_MS);

    await stallTail(leader.url, undefined);
    const retried = await waitFor(
      async () => {
        const outcome = await createNamespace(c, leader.url, 'next');
        return outcome.kind === 'created' ? outcome : undefined;
      },
      { description: 'changes to succeed once the tail resumed', timeoutMs: 20_000 },
    );
    // The change that timed out was journaled: it took effect once the tail applied it.
    const { shards } = await c.api<{ shards: Shard[] }>(leader.url, 'GET', '/v1/shards');
    const stalledIds = shards.filter((s) => s.namespace === 'while-stalled').map((s) => s.id);
    expect(stalledIds).toHaveLength(2);
    expect(retried.shards.map((s) => s.id).filter((id) => stalledIds.includes(id))).toEqual([]);
  }, 90_000);
});
