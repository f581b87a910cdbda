import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ChainCluster } from '@star/testkit';
import { LoadGenerator } from './load-generator.js';
import type { BenchOptions } from './options.js';

export const BENCH_SHARD = 0;
export const NODE_IDS = ['n1', 'n2', 'n3'];

export interface BenchNode {
  id: string;
  /** Its place in the chain. */
  role: 'head' | 'middle' | 'tail';
  pid: number;
  address: string;
  /** `http://127.0.0.1:port`, for /metrics. */
  url: string;
  dataDir: string;
}

/**
 * A 3-node chain of real node processes (and a redis-server for the control plane), configured as one
 * shard n1 → n2 → n3. The leases use the node's own defaults rather than the test harness's short
 * ones, so a saturated machine does not lapse them.
 */
export class BenchCluster {
  readonly #cluster: ChainCluster;
  readonly nodes: BenchNode[];

  private constructor(cluster: ChainCluster) {
    this.#cluster = cluster;
    const roles = ['head', 'middle', 'tail'] as const;
    this.nodes = NODE_IDS.map((id, i) => {
      const node = cluster.node(id);
      return {
        id,
        role: roles[i]!,
        pid: node.service.process.pid,
        address: node.address,
        url: node.service.url,
        dataDir: node.dataDir,
      };
    });
  }

  static async start(): Promise<BenchCluster> {
    const cluster = await ChainCluster.start({ nodes: NODE_IDS.length, leaseMs: 3_000, leaseRenewMs: 1_000 });
    try {
      await cluster.configure(BENCH_SHARD, NODE_IDS);
      await cluster.waitFor(
        async () => {
          const statuses = await Promise.all(NODE_IDS.map((id) => cluster.status(id)));
          return statuses.every((status) => status.leaseValidForMs > 0);
        },
        { description: 'every node to hold its read lease', timeoutMs: 15_000 },
      );
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return new BenchCluster(cluster);
  }

  get redisPid(): number {
    return this.#cluster.redis.pid;
  }

  /** Commit points of every member, to check that a load reached the tail. */
  async commitSeqs(): Promise<Record<string, number>> {
    const entries = await Promise.all(
      NODE_IDS.map(async (id) => {
        const status = await this.#cluster.status(id);
        return [id, status.shards.find((shard) => shard.shard === BENCH_SHARD)?.commitSeq ?? 0] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  /** Fails loudly if a node process died during a run (its log tail helps to see why). */
  checkAlive(): void {
    for (const id of NODE_IDS) {
      const process = this.#cluster.node(id).service.process;
      if (!process.isRunning()) {
        throw new Error(
          `node ${id} exited; last output:\n${process.logs().split('\n').slice(-20).join('\n')}`,
        );
      }
    }
  }

  stop(): Promise<void> {
    return this.#cluster.stop();
  }
}

/** Bytes of all files under `dir` (a node's data dir: SQLite database and WAL). */
export function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += directoryBytes(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

/** Load generator workers aimed at the cluster's chain, set up from the bench options. */
export function startLoad(
  cluster: BenchCluster,
  options: BenchOptions,
  timeoutMs: number,
): Promise<LoadGenerator> {
  return LoadGenerator.start(options.workers, {
    nodes: cluster.nodes.map(({ id, address }) => ({ id, address })),
    shard: BENCH_SHARD,
    clientsPerNode: options.clientsPerNode,
    valueBytes: options.valueBytes,
    requestIds: options.requestIds,
    timeoutMs,
  });
}
