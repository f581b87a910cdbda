import { type ChainConfig, type NodeStatus, StarError } from '@star/protocol';
import type { ShardStore } from '../storage/shard-store.js';
import { type ReplicaContext, ShardReplica } from './shard-replica.js';

/** Every shard replica this node holds, created on first configuration and reopened at start-up. */
export class ReplicaSet {
  readonly #replicas = new Map<number, ShardReplica>();
  readonly #context: ReplicaContext;
  readonly #openStore: (shard: number) => ShardStore;
  /** Runs before a replica this node does not hold yet is opened (e.g. bootstrap from a snapshot). */
  readonly #prepareNew: (config: ChainConfig) => Promise<void>;
  /** Shards being prepared or rebuilt: configure waits for them rather than opening an empty store. */
  readonly #busy = new Map<number, Promise<unknown>>();

  constructor(params: {
    context: ReplicaContext;
    openStore: (shard: number) => ShardStore;
    existing: number[];
    prepareNew?: (config: ChainConfig) => Promise<void>;
  }) {
    this.#context = params.context;
    this.#openStore = params.openStore;
    this.#prepareNew = params.prepareNew ?? (async () => {});
    // Stores found at start-up are an earlier incarnation's: their saved terms are fenced (§3.14).
    for (const shard of params.existing) this.#open(shard, { restarted: true });
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

  /**
   * The replica a chain message (a handshake) is for. One this node does not hold is created when
   * the published configuration lists this node at the message's term or later: a configure call
   * that never arrived must not leave a joiner (say the new tail) refusing its predecessor forever.
   */
  async forChain(shard: number, term: number): Promise<ShardReplica> {
    const held = this.#replicas.get(shard);
    if (held !== undefined) return held;
    const config = await this.#context.fetchConfig(shard);
    if (
      config !== undefined &&
      config.term >= term &&
      config.chain.some((member) => member.id === this.#context.nodeId)
    ) {
      this.#context.logger.info(
        { shard, term: config.term },
        'listed in a published chain: creating the replica',
      );
      await this.configure(config);
    }
    return this.get(shard);
  }

  all(): ShardReplica[] {
    return [...this.#replicas.values()];
  }

  async configure(config: ChainConfig): Promise<{ term: number }> {
    await this.#busy.get(config.shard);
    let replica = this.#replicas.get(config.shard);
    if (replica === undefined) {
      await this.#exclusive(config.shard, () => this.#prepareNew(config));
      replica = this.#replicas.get(config.shard) ?? this.#open(config.shard);
    }
    return replica.configure(config);
  }

  /**
   * Replaces a replica's store: closes the replica, lets `replace` swap its files (e.g. for a
   * snapshot) and reopens it with its configuration. Chain messages meanwhile find no replica and
   * are retried by their senders.
   */
  async rebuild(shard: number, replace: () => Promise<void>): Promise<void> {
    const replica = this.get(shard);
    await this.#exclusive(shard, async () => {
      const config = replica.config;
      replica.close();
      this.#replicas.delete(shard);
      try {
        await replace();
      } finally {
        const reopened = this.#open(shard);
        if (config !== undefined) reopened.configure(config);
      }
    });
  }

  async #exclusive(shard: number, work: () => Promise<void>): Promise<void> {
    while (this.#busy.has(shard)) await this.#busy.get(shard);
    const running = work().finally(() => this.#busy.delete(shard));
    this.#busy.set(
      shard,
      running.catch(() => undefined),
    );
    await running;
  }

  /** On each lease renewal: take the control plane's configuration of every shard held (one round of GETs). */
  async revalidate(): Promise<void> {
    const replicas = [...this.#replicas.values()];
    const configs = await Promise.all(replicas.map((replica) => this.#context.fetchConfig(replica.shard)));
    replicas.forEach((replica, i) => {
      const config = configs[i];
      if (config === undefined || config.term <= replica.term) return;
      try {
        replica.configure(config);
      } catch (error) {
        // A refused configuration (an older fencing token) must not cost the node its lease.
        this.#context.logger.error({ err: error, shard: replica.shard }, 'published configuration refused');
      }
    });
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

  #open(shard: number, options: { restarted?: boolean } = {}): ShardReplica {
    const replica = new ShardReplica(shard, this.#openStore(shard), this.#context, options);
    this.#replicas.set(shard, replica);
    return replica;
  }
}
