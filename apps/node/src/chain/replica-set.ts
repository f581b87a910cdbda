import { type ChainConfig, type NodeStatus, StarError } from '@star/protocol';
import type { ShardStore } from '../storage/shard-store.js';
import { type ReplicaContext, ShardReplica } from './shard-replica.js';

/** Every shard replica this node holds, created on first configuration and reopened at start-up. */
export class ReplicaSet {
  readonly #replicas = new Map<number, ShardReplica>();
  readonly #context: ReplicaContext;
  readonly #openStore: (shard: number) => ShardStore;

  constructor(params: {
    context: ReplicaContext;
    openStore: (shard: number) => ShardStore;
    existing: number[];
  }) {
    this.#context = params.context;
    this.#openStore = params.openStore;
    for (const shard of params.existing) this.#open(shard);
  }

  get size(): number {
    return this.#replicas.size;
  }

  get(shard: number): ShardReplica {
    const replica = this.#replicas.get(shard);
    if (replica === undefined)
      throw new StarError('MisdirectedRequest', `this node holds no replica of shard ${shard}`);
    return replica;
  }

  all(): ShardReplica[] {
    return [...this.#replicas.values()];
  }

  configure(config: ChainConfig): { term: number } {
    const replica = this.#replicas.get(config.shard) ?? this.#open(config.shard);
    return replica.configure(config);
  }

  /** After a lease lapse: take the control plane's configuration of every shard held. */
  async revalidate(): Promise<void> {
    for (const replica of this.#replicas.values()) {
      const config = await this.#context.fetchConfig(replica.shard);
      if (config !== undefined && config.term > replica.term) replica.configure(config);
    }
  }

  status(nodeId: string, leaseValidForMs: number): NodeStatus {
    return {
      node: nodeId,
      leaseValidForMs: Math.round(leaseValidForMs),
      shards: this.all().map((replica) => replica.status()),
    };
  }

  close(): void {
    for (const replica of this.#replicas.values()) replica.close();
    this.#replicas.clear();
  }

  #open(shard: number): ShardReplica {
    const replica = new ShardReplica(shard, this.#openStore(shard), this.#context);
    this.#replicas.set(shard, replica);
    return replica;
  }
}
