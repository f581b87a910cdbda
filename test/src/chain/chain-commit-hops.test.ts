import { randomBytes } from 'node:crypto';
import { StarClient } from '@star/client';
import { LinkClient } from '@star/core';
import { ChainMethods, FailpointRoutes, type Shard, StarError } from '@star/protocol';
import { StarCluster, waitFor } from '@star/testkit';
import { afterEach, describe, expect, it } from 'vitest';

/** Entries written before the failure; 100k take about 30 s on a quiet 2-core machine. */
const ENTRIES = 100_000;
const WRITE_BATCH = 2_000;
/** Per append batch (512 entries) on the survivor's link: catching up the whole shard would take minutes. */
const FORWARD_DELAY_MS = 1_000;

let cluster: StarCluster | undefined;
let client: StarClient | undefined;
const links: LinkClient[] = [];
afterEach(async () => {
  for (const link of links.splice(0)) link.close();
  client?.close();
  client = undefined;
  await cluster?.stop();
  cluster = undefined;
});

type Answer = { node: string; at: number } & ({ value: string } | { code: string });

/** Reads `key` at node `id` over one link of its own (straight at the node, no routing), again and again. */
function readContinuously(c: StarCluster, secret: string, id: string, shard: number, key: string) {
  const link = new LinkClient({ url: `ws://127.0.0.1:${c.nodes.get(id)!.port}/v1/link`, secret });
  links.push(link);
  const answers: Answer[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      try {
        const response = await link.request<{ found: boolean; value?: Uint8Array }>(
          ChainMethods.get,
          { shard, key },
          { timeoutMs: 3_000 },
        );
        answers.push({
          node: id,
          at: Date.now(),
          value: response.found ? Buffer.from(response.value!).toString() : 'absent',
        });
      } catch (error) {
        answers.push({ node: id, at: Date.now(), code: StarError.from(error).code });
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  })();
  return {
    answers,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

async function failpoint(c: StarCluster, secret: string, node: string, point: string, action?: string) {
  const response = await fetch(`${c.nodes.get(node)!.url}${FailpointRoutes.prefix}/${point}`, {
    method: action === undefined ? 'DELETE' : 'PUT',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'text/plain' },
    ...(action === undefined ? {} : { body: action }),
  });
  expect(response.status).toBe(200);
}

/**
 * DESIGN §3.13, issue 13 item 4: after two of three members die, the survivor's chain is rebuilt
 * with two replacements one at a time, [A] → [A, D] → [A, D, E]. D is still catching up (the
 * survivor's link is slow) when E joins behind it. Before the fix D dropped what it knew of the
 * commit point at the term change and streamed its stale log to E at once; E, the tail, committed
 * it and answered reads from it.
 */
describe('a replica that joins behind a member still catching up', () => {
  it('never answers a value older than the last acknowledged write', async () => {
    const secret = `secret-${randomBytes(12).toString('hex')}`;
    cluster = await StarCluster.start({ managers: 1, nodes: 0, env: { STAR_CLUSTER_SECRET: secret } });
    const c = cluster;
    // One at a time: five processes starting at once can miss their health deadline on a busy machine.
    for (let i = 1; i <= 5; i++) await c.startNode(`n${i}`);
    await c.waitForNodes(5);
    const { url } = await c.leader();
    const { shards } = await c.api<{ shards: Shard[] }>(url, 'POST', '/v1/namespaces', {
      name: 'hops',
      shards: 1,
      replicationFactor: 3,
    });
    const shard = shards[0]!;
    client = await StarClient.connect({ managers: c.managerUrls, apiKey: c.adminKey, clusterSecret: secret });

    const started = performance.now();
    for (let i = 0; i < ENTRIES; i += WRITE_BATCH) {
      const ops = Array.from({ length: WRITE_BATCH }, (_, j) => ({
        op: 'put' as const,
        key: `k${i + j}`,
        value: `v${i + j}`,
      }));
      const outcomes = await client.batch('hops', ops);
      expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
    }
    await client.put('hops', 'probe', 'last');
    console.info(`wrote ${ENTRIES + 1} entries in ${Math.round(performance.now() - started)} ms`);

    const [survivor, ...victims] = shard.chain;
    await failpoint(c, secret, survivor!, `node.before-forward@${shard.id}`, `sleep(${FORWARD_DELAY_MS})`);
    for (const victim of victims) c.nodes.get(victim)!.process.kill('SIGKILL');

    // Read at each replacement from the moment the shard map lists it.
    const readers = new Map<string, ReturnType<typeof readContinuously>>();
    const original = new Set(shard.chain);
    const rebuilt = await waitFor(
      async () => {
        const now = await c.api<Shard>(url, 'GET', `/v1/shards/${shard.id}`);
        for (const member of now.chain) {
          if (!original.has(member) && !readers.has(member))
            readers.set(member, readContinuously(c, secret, member, shard.id, 'probe'));
        }
        return now.chain.length === 3 && now.chain.every((member) => !victims.includes(member))
          ? now
          : undefined;
      },
      { description: 'two replacements in the chain', timeoutMs: 60_000, intervalMs: 10 },
    );
    const newest = rebuilt.chain[2]!;
    // The window of the old bug: the survivor's first append at the new term is still delayed.
    await new Promise((resolve) => setTimeout(resolve, 3 * FORWARD_DELAY_MS));
    await failpoint(c, secret, survivor!, `node.before-forward@${shard.id}`);

    const last = (node: string) => readers.get(node)!.answers.at(-1);
    await waitFor(
      async () =>
        [...readers.keys()].every((node) => {
          const answer = last(node);
          return answer !== undefined && 'value' in answer && answer.value === 'last';
        }),
      { description: 'both replacements to catch up and answer the last write', timeoutMs: 120_000 },
    );
    for (const reader of readers.values()) await reader.stop();

    const answers = [...readers.values()].flatMap((reader) => reader.answers);
    const values = answers.filter((answer): answer is Answer & { value: string } => 'value' in answer);
    const stale = values.filter((answer) => answer.value !== 'last');
    const refusals = answers.filter((answer) => 'code' in answer && answer.node === newest).length;
    console.info(
      `${answers.length} reads at the replacements; ${refusals} refused at ${newest}; ${stale.length} stale`,
    );
    // Before the fix: the newest member answered 'absent' (its predecessor's stale state) for a while.
    expect(stale.slice(0, 3)).toEqual([]);
    // It was read while still behind (the survivor's link is slow): it refused until caught up.
    expect(refusals).toBeGreaterThan(0);
  }, 300_000);
});
