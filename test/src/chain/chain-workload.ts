import type { LinkClient } from '@star/core';
import { ChainMethods, type GetResponse, StarError, type WriteResult } from '@star/protocol';
import type { ChainCluster, HistoryRecorder } from '@star/testkit';

/** Where the workload sends requests: the shard's current chain and a link to each node. */
export interface WorkloadTarget {
  chain(shard: number): string[];
  link(nodeId: string): LinkClient;
}

const RETRYABLE = new Set([
  'MisdirectedRequest',
  'StaleTerm',
  'Unavailable',
  'LinkClosed',
  'Timeout',
  'Overloaded',
]);

export interface WorkloadOptions {
  shard: number;
  keys: string[];
  clients: number;
  durationMs: number;
  /** Share of reads, writes and conditional writes. */
  mix?: { read: number; write: number; cas: number };
}

export interface WorkloadStats {
  reads: number;
  writes: number;
  cas: number;
  ok: number;
  fail: number;
  info: number;
  /** Highest acknowledged write version per key, to check nothing acknowledged was lost. */
  acknowledged: Map<string, number>;
}

/**
 * A register workload against one shard's chain: each client reads from a random member of the
 * current chain, writes and compare-and-sets at the head, retrying a write with the same request id
 * until it gets a definite answer (the node applies it once). Every operation goes into the history
 * with outcome ok, fail (definitely no effect) or info (unknown: it may have been applied).
 */
export async function runRegisterWorkload(
  target: WorkloadTarget,
  history: HistoryRecorder,
  options: WorkloadOptions,
): Promise<WorkloadStats> {
  const mix = options.mix ?? { read: 0.5, write: 0.25, cas: 0.25 };
  const stats: WorkloadStats = {
    reads: 0,
    writes: 0,
    cas: 0,
    ok: 0,
    fail: 0,
    info: 0,
    acknowledged: new Map(),
  };
  const deadline = Date.now() + options.durationMs;
  const versions = new Map<string, number>();

  const acknowledge = (key: string, version: number) =>
    stats.acknowledged.set(key, Math.max(stats.acknowledged.get(key) ?? 0, version));

  async function write(
    client: string,
    requestId: number,
    body: Record<string, unknown>,
  ): Promise<{ outcome: 'ok'; result: WriteResult } | { outcome: 'fail' | 'info'; error: StarError }> {
    const giveUpAt = Date.now() + 8_000;
    let last: StarError = new StarError('Timeout', 'no attempt');
    let mayHaveApplied = false;
    while (Date.now() < giveUpAt) {
      const head = target.chain(options.shard)[0];
      if (head === undefined) break;
      try {
        const result = await target
          .link(head)
          .request<WriteResult>(
            ChainMethods.put,
            { ...body, clientId: client, requestId },
            { timeoutMs: 2_000 },
          );
        return { outcome: 'ok', result };
      } catch (error) {
        last = StarError.from(error);
        if (last.code === 'PreconditionFailed') {
          return { outcome: mayHaveApplied ? 'info' : 'fail', error: last };
        }
        if (!RETRYABLE.has(last.code)) return { outcome: mayHaveApplied ? 'info' : 'fail', error: last };
        // A timeout or a dropped link may leave the write applied; the retry (same request id) is safe.
        if (last.code !== 'MisdirectedRequest' && last.code !== 'StaleTerm') mayHaveApplied = true;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    return { outcome: 'info', error: last };
  }

  async function runClient(index: number): Promise<void> {
    const client = `c${index}`;
    let requestId = 0;
    while (Date.now() < deadline) {
      const key = options.keys[Math.floor(Math.random() * options.keys.length)]!;
      const roll = Math.random();
      if (roll < mix.read) {
        stats.reads++;
        const chain = target.chain(options.shard);
        const member = chain[Math.floor(Math.random() * chain.length)];
        if (member === undefined) continue;
        const op = history.invoke(client, key, 'read', {});
        try {
          const response = await target
            .link(member)
            .request<GetResponse>(ChainMethods.get, { shard: options.shard, key }, { timeoutMs: 2_000 });
          const output = response.found
            ? { value: Buffer.from(response.value).toString(), version: response.version }
            : { value: null };
          op.ok(output);
          stats.ok++;
        } catch {
          // A read that got no answer had no effect: it constrains nothing.
          op.fail();
          stats.fail++;
        }
        continue;
      }
      const isCas = roll >= mix.read + mix.write;
      const value = `${client}-${++requestId}`;
      const expectedVersion = isCas ? (versions.get(key) ?? 0) : undefined;
      const mustNotExist = isCas && expectedVersion === 0;
      const input = isCas
        ? mustNotExist
          ? { value, mustNotExist: true }
          : { value, expectedVersion: expectedVersion! }
        : { value };
      if (isCas) stats.cas++;
      else stats.writes++;
      const op = history.invoke(client, key, isCas ? 'cas' : 'write', input);
      const body = { shard: options.shard, key, ...input, value: Buffer.from(value) };
      const result = await write(client, requestId, body);
      if (result.outcome === 'ok') {
        op.ok({ version: result.result.version });
        versions.set(key, result.result.version);
        acknowledge(key, result.result.version);
        stats.ok++;
      } else if (result.outcome === 'fail') {
        op.fail();
        const current = result.error.details?.version;
        if (typeof current === 'number') versions.set(key, current);
        stats.fail++;
      } else {
        op.info();
        stats.info++;
      }
    }
  }

  await Promise.all(Array.from({ length: options.clients }, (_, i) => runClient(i)));
  return stats;
}

/** A ChainCluster as a workload target: the controller's current config and each node's link. */
export function chainClusterTarget(cluster: ChainCluster): WorkloadTarget {
  return {
    chain: (shard) => cluster.configs.get(shard)?.chain.map((member) => member.id) ?? [],
    link: (nodeId) => cluster.node(nodeId).link,
  };
}
