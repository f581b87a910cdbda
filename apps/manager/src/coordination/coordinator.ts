import {
  ChainKeys,
  type Namespace,
  type NodeInfo,
  type NodeRegistration,
  type Shard,
  StarError,
  splitHashRange,
} from '@star/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { MetadataEntry } from '../metadata/journal-entries.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { chooseReplacement, placeShards } from '../placement/index.js';
import type { ChainPublisher } from './chain-publisher.js';

export interface CoordinatorSettings {
  /** The nodes' read lease: a new leader waits this out before reconfiguring anything. */
  nodeLeaseMs: number;
  /** Extra wait after a node's lease key expired before it counts as dead. */
  deadMarginMs: number;
  /** How often membership and failures are checked (read before every check: a runtime setting). */
  checkEveryMs: () => number;
}

/**
 * The leader's part: every metadata change goes through here, one at a time, as journal entries
 * appended under the leader's fencing token, then published to the nodes. It also watches the
 * node registry and node leases: a node whose lease expired (plus a margin) is removed from every
 * chain with a term bump, and replacements restore each shard's replication factor.
 */
export class Coordinator {
  readonly #store: MetadataStore;
  readonly #publisher: ChainPublisher;
  readonly #redis: Redis;
  readonly #logger: Logger;
  readonly #settings: CoordinatorSettings;
  readonly #commit: (entries: MetadataEntry[]) => Promise<void>;
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #actingFrom = Number.POSITIVE_INFINITY;
  readonly #missingSince = new Map<string, number>();
  reconfigurations = 0;

  constructor(params: {
    store: MetadataStore;
    publisher: ChainPublisher;
    redis: Redis;
    logger: Logger;
    settings: CoordinatorSettings;
    /** Appends under the current fencing token and resolves once the store applied the entries. */
    commit: (entries: MetadataEntry[]) => Promise<void>;
  }) {
    this.#store = params.store;
    this.#publisher = params.publisher;
    this.#redis = params.redis;
    this.#logger = params.logger.child({ component: 'coordinator' });
    this.#settings = params.settings;
    this.#commit = params.commit;
  }

  /** Became leader: start watching, but reconfigure only after the longest node lease passed. */
  start(): void {
    this.#actingFrom = performance.now() + this.#settings.nodeLeaseMs + this.#settings.deadMarginMs;
    this.#missingSince.clear();
    const tick = () => {
      this.#timer = setTimeout(() => {
        void this.#serialized(() => this.#checkMembership())
          .catch((error: unknown) => this.#logger.warn({ err: error }, 'membership check failed'))
          .finally(() => {
            if (this.#timer !== undefined) tick();
          });
      }, this.#settings.checkEveryMs());
    };
    tick();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#actingFrom = Number.POSITIVE_INFINITY;
  }

  createNamespace(namespace: Namespace): Promise<{ namespace: Namespace; shards: Shard[] }> {
    return this.#serialized(async () => {
      const state = this.#store.state;
      if (state.namespaces.has(namespace.name)) {
        throw new StarError('Conflict', `namespace ${namespace.name} already exists`);
      }
      const nodes = [...state.nodes.values()];
      const chains = placeShards({
        shards: namespace.shards,
        replicationFactor: namespace.replicationFactor,
        nodes,
        existingLoad: state.load(),
        existingHeads: state.heads(),
      });
      const ranges = splitHashRange(namespace.shards);
      const shards: Shard[] = ranges.map((hashRange, i) => ({
        id: state.nextShardId + i,
        namespace: namespace.name,
        hashRange,
        term: 1,
        chain: chains.get(i)!,
        status: 'SteadyState',
      }));
      await this.#commit([
        {
          type: 'namespace.created',
          data: { namespace, shards, nextShardId: state.nextShardId + shards.length },
        },
      ]);
      await this.#publishAll(shards);
      return { namespace, shards };
    });
  }

  deleteNamespace(name: string): Promise<void> {
    return this.#serialized(async () => {
      const shards = this.#store.state.shardsOf(name);
      if (!this.#store.state.namespaces.has(name)) throw new StarError('NotFound', `no namespace ${name}`);
      await this.#commit([{ type: 'namespace.deleted', data: { name } }]);
      for (const shard of shards) await this.#publisher.remove(shard.id);
    });
  }

  /** Runs one mutation at a time: concurrent admin calls never interleave their journal entries. */
  #serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(work, work);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #publishAll(shards: Shard[]): Promise<void> {
    const nodes = this.#store.state.nodes;
    await Promise.all(shards.map((shard) => this.#publisher.publish(shard, nodes)));
  }

  async #checkMembership(): Promise<void> {
    await this.#syncRegistry();
    if (performance.now() < this.#actingFrom) return;
    await this.#detectFailures();
    await this.#restoreReplication();
  }

  /** New or moved nodes from the registry become journaled members. */
  async #syncRegistry(): Promise<void> {
    const registry = await this.#redis.hgetall(ChainKeys.nodeRegistry);
    const entries: MetadataEntry[] = [];
    for (const raw of Object.values(registry)) {
      const registration = JSON.parse(raw) as NodeRegistration;
      const known = this.#store.state.nodes.get(registration.id);
      if (
        known === undefined ||
        known.internalAddress !== registration.address ||
        known.group !== registration.group ||
        known.capacity !== registration.capacity
      ) {
        const node: NodeInfo = {
          id: registration.id,
          publicAddress: registration.address,
          internalAddress: registration.address,
          group: registration.group,
          capacity: registration.capacity,
          state: known?.state === 'draining' ? 'draining' : 'alive',
        };
        entries.push({ type: 'node.registered', data: { node } });
      }
    }
    if (entries.length > 0) await this.#commit(entries);
  }

  /** A node whose lease key is gone (plus a margin) is dead: chain around it, with a term bump. */
  async #detectFailures(): Promise<void> {
    const now = performance.now();
    for (const node of this.#store.state.nodes.values()) {
      const alive = (await this.#redis.exists(ChainKeys.nodeLease(node.id))) === 1;
      if (alive) {
        this.#missingSince.delete(node.id);
        if (node.state === 'dead')
          await this.#commit([{ type: 'node.state', data: { id: node.id, state: 'alive' } }]);
        continue;
      }
      if (node.state === 'dead') continue;
      const since = this.#missingSince.get(node.id) ?? now;
      this.#missingSince.set(node.id, since);
      if (now - since < this.#settings.deadMarginMs) continue;
      await this.#removeDeadNode(node.id);
    }
  }

  async #removeDeadNode(id: string): Promise<void> {
    const affected = [...this.#store.state.shards.values()].filter((shard) => shard.chain.includes(id));
    const entries: MetadataEntry[] = [{ type: 'node.state', data: { id, state: 'dead' } }];
    for (const shard of affected) {
      const chain = shard.chain.filter((member) => member !== id);
      if (chain.length === 0) {
        this.#logger.error(
          { shard: shard.id, node: id },
          'last replica of a shard is dead; keeping its chain',
        );
        continue;
      }
      entries.push({
        type: 'shard.reconfigured',
        data: { id: shard.id, term: shard.term + 1, chain, status: 'Reconfiguring' },
      });
    }
    this.#logger.warn(
      { node: id, shards: affected.map((s) => s.id) },
      'node lease expired: removing it from its chains',
    );
    await this.#commit(entries);
    this.reconfigurations += entries.length - 1;
    await this.#publishAll(affected.map((shard) => this.#store.state.shards.get(shard.id)!));
  }

  /** Shards short of their replication factor get a replacement replica joining as tail. */
  async #restoreReplication(): Promise<void> {
    const state = this.#store.state;
    const entries: MetadataEntry[] = [];
    const load = state.load();
    for (const shard of state.shards.values()) {
      const rf = state.namespaces.get(shard.namespace)?.replicationFactor ?? shard.chain.length;
      if (shard.chain.length >= rf) continue;
      const replacement = chooseReplacement({
        chain: shard.chain,
        shard: shard.id,
        nodes: [...state.nodes.values()],
        load,
      });
      if (replacement === undefined) continue;
      load.set(replacement, (load.get(replacement) ?? 0) + 1);
      entries.push({
        type: 'shard.reconfigured',
        data: {
          id: shard.id,
          term: shard.term + 1,
          chain: [...shard.chain, replacement],
          status: 'SteadyState',
        },
      });
    }
    if (entries.length === 0) return;
    await this.#commit(entries);
    this.reconfigurations += entries.length;
    const changed = entries.map((entry) => state.shards.get((entry.data as { id: number }).id)!);
    this.#logger.info({ shards: changed.map((s) => s.id) }, 'replication factor restored');
    await this.#publishAll(changed);
  }
}
