import { LinkClient } from '@star/core';
import { LinkDefaults, type NodeInfo, type Shard } from '@star/protocol';
import type { StarCluster } from '@star/testkit';
import type { WorkloadTarget } from '../chain/chain-workload.js';

/**
 * A workload target that follows the managers' shard map, the way a gateway will: it polls the
 * shard and node lists and routes by the newest chain it has seen.
 */
export class ManagedTarget implements WorkloadTarget {
  readonly #cluster: StarCluster;
  readonly #shards = new Map<number, Shard>();
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #links = new Map<string, LinkClient>();
  #timer: NodeJS.Timeout | undefined;

  constructor(cluster: StarCluster) {
    this.#cluster = cluster;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh().catch(() => undefined), 100);
  }

  async refresh(): Promise<void> {
    for (const manager of this.#cluster.managers.values()) {
      if (!manager.process.isRunning()) continue;
      try {
        const [{ shards }, { nodes }] = await Promise.all([
          this.#cluster.api<{ shards: Shard[] }>(manager.url, 'GET', '/v1/shards'),
          this.#cluster.api<{ nodes: NodeInfo[] }>(manager.url, 'GET', '/v1/nodes'),
        ]);
        for (const shard of shards) {
          const known = this.#shards.get(shard.id);
          if (known === undefined || shard.term > known.term) this.#shards.set(shard.id, shard);
        }
        for (const node of nodes) this.#nodes.set(node.id, node);
        return;
      } catch {
        // try the next manager
      }
    }
  }

  shard(id: number): Shard | undefined {
    return this.#shards.get(id);
  }

  chain(shard: number): string[] {
    return this.#shards.get(shard)?.chain ?? [];
  }

  link(nodeId: string): LinkClient {
    let link = this.#links.get(nodeId);
    if (link === undefined) {
      const address = this.#nodes.get(nodeId)?.internalAddress;
      if (address === undefined) throw new Error(`unknown node ${nodeId}`);
      link = new LinkClient({ url: `ws://${address}${LinkDefaults.path}`, reconnectMaxDelayMs: 200 });
      this.#links.set(nodeId, link);
    }
    return link;
  }

  stop(): void {
    clearInterval(this.#timer);
    for (const link of this.#links.values()) link.close();
  }
}
