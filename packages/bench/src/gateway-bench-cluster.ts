import { StarClient } from '@star/client';
import { type RunningService, StarCluster } from '@star/testkit';
import type { GatewayBenchOptions } from './gateway-bench-options.js';

export const BENCH_NAMESPACE = 'bench';

/** The i-th key of the benchmark's key space. */
export function benchKey(index: number): string {
  return `k${String(index).padStart(8, '0')}`;
}

/**
 * Redis, 1 manager, 3 nodes and a gateway (real processes, via testkit's StarCluster, auth on with
 * the cluster's admin key), and a namespace of `shards` shards at replication factor 3. Leases are
 * longer than the test harness's, so a saturated machine does not lapse them mid-run.
 */
export class GatewayBenchCluster {
  private constructor(
    readonly cluster: StarCluster,
    readonly gateway: RunningService,
  ) {}

  static async start(options: GatewayBenchOptions): Promise<GatewayBenchCluster> {
    const cluster = await StarCluster.start({
      managers: 1,
      nodes: 3,
      nodeLeaseMs: 5_000,
      managerLeaseMs: 5_000,
      env: { STAR_LOG_LEVEL: 'warn' },
    });
    try {
      await cluster.waitForNodes(3);
      const { url } = await cluster.leader();
      await cluster.api(url, 'POST', '/v1/namespaces', {
        name: BENCH_NAMESPACE,
        shards: options.shards,
        replicationFactor: 3,
      });
      const gateway = await cluster.startGateway('g1');
      return new GatewayBenchCluster(cluster, gateway);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** A client library instance following this cluster's shard map, as an application embeds it. */
  client(lingerMs: number): Promise<StarClient> {
    return StarClient.connect({
      managers: this.cluster.managerUrls,
      apiKey: this.cluster.adminKey,
      clientName: 'bench',
      lingerMs,
    });
  }

  /** Writes every key once, in batches, so reads find values. */
  async preload(options: GatewayBenchOptions): Promise<void> {
    const client = await this.client(0);
    try {
      const value = new Uint8Array(options.valueBytes).fill(120);
      for (let start = 0; start < options.keys; start += 500) {
        const ops = [];
        for (let i = start; i < Math.min(options.keys, start + 500); i++)
          ops.push({ op: 'put' as const, key: benchKey(i), value });
        const outcomes = await client.batch(BENCH_NAMESPACE, ops);
        const failed = outcomes.find((outcome) => !outcome.ok);
        if (failed && !failed.ok) throw failed.error;
      }
    } finally {
      client.close();
    }
  }

  /** Process ids of every service, to tell their CPU from the machine's other load. */
  get pids(): number[] {
    return [
      ...this.cluster.managers.values(),
      ...this.cluster.nodes.values(),
      ...this.cluster.gateways.values(),
    ].map((service) => service.process.pid);
  }

  /** Fails loudly if a service died during a run. */
  checkAlive(): void {
    for (const [id, service] of [...this.cluster.managers, ...this.cluster.nodes, ...this.cluster.gateways]) {
      if (!service.process.isRunning())
        throw new Error(
          `${id} exited; last output:\n${service.process.logs().split('\n').slice(-20).join('\n')}`,
        );
    }
  }

  stop(): Promise<void> {
    return this.cluster.stop();
  }
}
