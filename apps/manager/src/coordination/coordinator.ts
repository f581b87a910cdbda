import { failpoint } from '@star/core';
import {
  ChainKeys,
  ChainMethods,
  ControlPlaneCodecs,
  type Namespace,
  type NodeInfo,
  type NodeRegistration,
  type NodeStatus,
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
import { FailureDetector, type FailureVerdict } from './failure-detector.js';
import { HeadBalancer } from './head-balancer.js';
import { isRestart, memberLogEnds, reenterRestarted } from './incarnations.js';
import { holders, JoinerSync } from './joiner-sync.js';
import { Reconciler } from './reconciler.js';
import { ReplicaMover } from './replica-mover.js';

/** What a journal append of the membership check is for (the tag of its failpoint). */
type ChangeReason = 'failure' | 'restore' | 'trim' | 'move' | 'heads' | 'reconcile' | 'reentry' | 'sync';

export interface CoordinatorSettings {
  /** The nodes' read lease: a new leader waits this out before reconfiguring anything. */
  nodeLeaseMs: number;
  /** Extra wait beyond a node lease without a renewal seen before the node counts as dead. */
  deadMarginMs: number;
  /** How often membership and failures are checked (read before every check: a runtime setting). */
  checkEveryMs: () => number;
  /** Whether to move replicas for balance (draining happens regardless; a runtime setting). */
  balance: () => boolean;
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
  readonly #ready: () => Promise<void>;
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #actingFrom = Number.POSITIVE_INFINITY;
  readonly #detector: FailureDetector;
  readonly #mover: ReplicaMover;
  readonly #heads: HeadBalancer;
  readonly #reconciler: Reconciler;
  readonly #joiners: JoinerSync;
  #reconciledAt = Number.NEGATIVE_INFINITY;
  reconfigurations = 0;

  constructor(params: {
    store: MetadataStore;
    publisher: ChainPublisher;
    redis: Redis;
    logger: Logger;
    settings: CoordinatorSettings;
    /** Appends under the current fencing token and resolves once the store applied the entries. */
    commit: (entries: MetadataEntry[]) => Promise<void>;
    /** Resolves once the store holds the whole journal (LeaderCatchUp); every change waits for it. */
    ready: () => Promise<void>;
  }) {
    this.#store = params.store;
    this.#publisher = params.publisher;
    this.#redis = params.redis;
    this.#logger = params.logger.child({ component: 'coordinator' });
    this.#settings = params.settings;
    this.#commit = params.commit;
    this.#ready = params.ready;
    this.#mover = new ReplicaMover({ logger: params.logger });
    this.#heads = new HeadBalancer({ publisher: params.publisher, logger: params.logger });
    this.#reconciler = new Reconciler({
      redis: params.redis,
      publisher: params.publisher,
      logger: params.logger,
      patienceMs: params.settings.nodeLeaseMs,
    });
    this.#detector = new FailureDetector({
      redis: params.redis,
      settings: params.settings,
      logger: params.logger,
    });
    this.#joiners = new JoinerSync({
      publisher: params.publisher,
      logger: params.logger,
      heard: (node) =>
        (this.#detector.silentForMs(node) ?? Number.POSITIVE_INFINITY) < params.settings.nodeLeaseMs,
    });
  }

  get replicaMoves(): number {
    return this.#mover.moves;
  }

  get headHandOvers(): number {
    return this.#heads.handOvers;
  }

  /** Became leader: start watching, but reconfigure only after the longest node lease passed. */
  start(): void {
    this.#actingFrom = performance.now() + this.#settings.nodeLeaseMs + this.#settings.deadMarginMs;
    this.#detector.reset();
    this.#reconciler.reset();
    this.#reconciledAt = Number.NEGATIVE_INFINITY;
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

  /**
   * The control plane's primary changed (a failover or a restart): lease records read before it
   * cannot be vouched for (the new primary may lack the last renewals, or hold older ones). As on
   * becoming leader: forget every observation, and reconfigure nothing until the longest node lease
   * that could stem from the old primary has passed (DESIGN §3.8), so no node is declared dead and
   * no leaving node is skipped for a lease key the failover lost.
   */
  primaryChanged(): void {
    if (this.#timer === undefined) return;
    this.#actingFrom = performance.now() + this.#settings.nodeLeaseMs + this.#settings.deadMarginMs;
    this.#detector.reset();
    this.#reconciler.reset();
    this.#logger.warn('redis primary changed: node leases unknown; reconfiguring only after a lease period');
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
      await failpoint('manager.after-journal-append');
      await this.#publishAll(shards);
      return { namespace, shards };
    });
  }

  deleteNamespace(name: string): Promise<void> {
    return this.#serialized(async () => {
      const shards = this.#store.state.shardsOf(name);
      if (!this.#store.state.namespaces.has(name)) throw new StarError('NotFound', `no namespace ${name}`);
      await this.#commit([{ type: 'namespace.deleted', data: { name } }]);
      await failpoint('manager.after-journal-append');
      for (const shard of shards) await this.#publisher.remove(shard.id);
    });
  }

  /** Runs one mutation at a time: concurrent admin calls never interleave their journal entries. */
  #serialized<T>(work: () => Promise<T>): Promise<T> {
    // Every change decides on the store's state: first make sure it is not behind the journal.
    const run = () => this.#ready().then(work);
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #publishAll(shards: Shard[]): Promise<void> {
    const nodes = this.#store.state.nodes;
    // Members unheard for a lease are not waited for (each would cost a configure timeout before
    // the next failure check: a chain cut off the control plane took 8-10 s to be noticed).
    const unheard = new Set(
      shards
        .flatMap((shard) => shard.chain)
        .filter((id) => (this.#detector.silentForMs(id) ?? 0) >= this.#settings.nodeLeaseMs),
    );
    await Promise.all(shards.map((shard) => this.#publisher.publish(shard, nodes, unheard)));
  }

  async #checkMembership(): Promise<void> {
    await this.#syncRegistry();
    await this.#reconcile();
    // Watched from the start of leadership: renewals seen during the start-up wait count.
    const verdict = await this.#detector.observe([...this.#store.state.nodes.keys()]);
    if (performance.now() < this.#actingFrom) return;
    await this.#detectFailures(verdict);
    await this.#applyChanges(await this.#joiners.step(this.#store.state), 'sync');
    await this.#restoreReplication();
    await this.#trimOverReplicated();
    await this.#applyChanges(await this.#mover.step(this.#store.state, this.#settings.balance()), 'move');
    // Heads even out once no replica move is under way (a reorder only: a term bump, no data moved).
    if (this.#settings.balance() && this.#mover.inFlight === undefined)
      await this.#applyChanges(await this.#heads.step(this.#store.state), 'heads');
  }

  /**
   * Level-triggered (DESIGN §3.11): on election and then a few times per node lease, make the
   * published keys and the members agree with the journal. Republishing what is journaled is safe
   * at once; the term bumps for changed addresses wait, like every reconfiguration, for `actingFrom`.
   */
  async #reconcile(): Promise<void> {
    const now = performance.now();
    if (now - this.#reconciledAt < this.#settings.nodeLeaseMs / 4) return;
    this.#reconciledAt = now;
    const { entries } = await this.#reconciler.reconcile(this.#store.state);
    if (now >= this.#actingFrom) await this.#applyChanges(entries, 'reconcile');
  }

  /**
   * Commits shard reconfigurations and publishes the chains they produce. `why` tags the append's
   * failpoint, so a test can hold one kind of change (`manager.after-journal-append@restore`).
   */
  async #applyChanges(entries: MetadataEntry[], why: ChangeReason): Promise<void> {
    if (entries.length === 0) return;
    await this.#commit(entries);
    this.reconfigurations += entries.filter((entry) => entry.type === 'shard.reconfigured').length;
    await failpoint('manager.after-journal-append', why);
    const ids = entries.flatMap((entry) => (entry.type === 'shard.reconfigured' ? [entry.data.id] : []));
    await this.#publishAll(ids.map((id) => this.#store.state.shards.get(id)!));
  }

  /**
   * A chain longer than its replication factor with no move under way (a move a former leader
   * left half done) sheds a draining member, else its tail: the member that joined last.
   */
  async #trimOverReplicated(): Promise<void> {
    const state = this.#store.state;
    const entries: MetadataEntry[] = [];
    for (const shard of state.shards.values()) {
      const rf = state.namespaces.get(shard.namespace)?.replicationFactor ?? shard.chain.length;
      if (shard.chain.length <= rf || this.#mover.inFlight?.shard === shard.id) continue;
      const draining = shard.chain.find((id) => state.nodes.get(id)?.state === 'draining');
      const leaving = draining ?? shard.chain.at(-1)!;
      const chain = shard.chain.filter((id) => id !== leaving);
      if (holders(shard, chain).length === 0) continue;
      entries.push({
        type: 'shard.reconfigured',
        data: { id: shard.id, term: shard.term + 1, chain, status: 'SteadyState' },
      });
    }
    await this.#applyChanges(entries, 'trim');
  }

  /** Marks a node draining: its replicas move away, one at a time, then it can be removed. */
  drainNode(id: string): Promise<void> {
    return this.#serialized(async () => {
      const node = this.#store.state.nodes.get(id);
      if (node === undefined) throw new StarError('NotFound', `no node ${id}`);
      if (node.state === 'draining') return;
      if (node.state === 'dead') throw new StarError('Conflict', `node ${id} is dead; remove it instead`);
      await this.#commit([{ type: 'node.state', data: { id, state: 'draining' } }]);
    });
  }

  /** Forgets a node that holds no replica (drained, or dead and chained around). */
  removeNode(id: string): Promise<void> {
    return this.#serialized(async () => {
      const node = this.#store.state.nodes.get(id);
      if (node === undefined) throw new StarError('NotFound', `no node ${id}`);
      const holding = [...this.#store.state.shards.values()].filter((shard) => shard.chain.includes(id));
      if (holding.length > 0) {
        throw new StarError(
          'Conflict',
          `node ${id} still holds replicas of shards ${holding.map((s) => s.id).join(', ')}; drain it first`,
          {
            shards: holding.map((s) => s.id),
          },
        );
      }
      await this.#commit([{ type: 'node.removed', data: { id } }]);
      await this.#redis.hdel(ChainKeys.nodeRegistry, id);
    });
  }

  /** New, moved or restarted nodes from the registry become journaled members. */
  async #syncRegistry(): Promise<void> {
    const registry = await this.#redis.hgetall(ChainKeys.nodeRegistry);
    const entries: MetadataEntry[] = [];
    /** Restarted nodes (a new incarnation) → the address they registered. */
    const restarted = new Map<string, string>();
    for (const [field, raw] of Object.entries(registry)) {
      let registration: NodeRegistration;
      try {
        registration = ControlPlaneCodecs.nodeRegistration.decode(raw, `${ChainKeys.nodeRegistry}[${field}]`);
      } catch (error) {
        this.#logger.error({ err: error }, 'node registration ignored');
        continue;
      }
      const known = this.#store.state.nodes.get(registration.id);
      if (
        known === undefined ||
        known.internalAddress !== registration.address ||
        known.group !== registration.group ||
        known.capacity !== registration.capacity ||
        known.incarnation !== registration.incarnation
      ) {
        if (isRestart(known, registration)) restarted.set(registration.id, registration.address);
        const node: NodeInfo = {
          id: registration.id,
          publicAddress: registration.address,
          internalAddress: registration.address,
          group: registration.group,
          capacity: registration.capacity,
          state: known?.state === 'draining' ? 'draining' : 'alive',
          incarnation: registration.incarnation,
        };
        entries.push({ type: 'node.registered', data: { node } });
      }
    }
    // A restart's reconfigurations go in the same append as its registration.
    if (restarted.size > 0)
      await this.#applyChanges([...entries, ...(await this.#reenterRestarted(restarted))], 'reentry');
    else if (entries.length > 0) await this.#commit(entries);
  }

  /** Re-enters restarted nodes in their chains (incarnations.ts), ordered by what members hold. */
  async #reenterRestarted(restarted: Map<string, string>): Promise<MetadataEntry[]> {
    this.#logger.warn(
      { nodes: [...restarted.keys()] },
      'nodes restarted: re-entering them as tails, term bumped',
    );
    const state = this.#store.state;
    const shards = [...state.shards.values()].filter((shard) => shard.chain.some((id) => restarted.has(id)));
    const members = [...new Set(shards.flatMap((shard) => shard.chain))].map((id) => ({
      id,
      address: restarted.get(id) ?? state.nodes.get(id)?.internalAddress ?? 'unknown:0',
    }));
    const ends = await memberLogEnds(members, (address) =>
      this.#publisher.request<NodeStatus>(address, ChainMethods.status, {}),
    );
    return reenterRestarted(shards, new Set(restarted.keys()), (node, shard) => ends.get(node)?.get(shard));
  }

  /**
   * A node this manager saw no renewal from for a lease plus a margin is dead: chain around it,
   * with a term bump (failure-detector.ts). One seen renewing again is alive.
   */
  async #detectFailures(verdict: FailureVerdict): Promise<void> {
    for (const id of verdict.renewed) {
      if (this.#store.state.nodes.get(id)?.state === 'dead')
        await this.#commit([{ type: 'node.state', data: { id, state: 'alive' } }]);
    }
    for (const id of verdict.silent) {
      const state = this.#store.state.nodes.get(id)?.state;
      if (state !== undefined && state !== 'dead') await this.#removeDeadNode(id);
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
      // The rest are joiners still catching up from it: without it the chain would hold less than
      // it committed. Wait for it (unavailable, not lossy), as for a last replica.
      if (holders(shard, chain).length === 0) {
        this.#logger.error(
          { shard: shard.id, node: id, joining: shard.joining },
          'the last member holding every committed write is dead and the rest are still joining; keeping it in the chain',
        );
        continue;
      }
      entries.push({
        type: 'shard.reconfigured',
        data: { id: shard.id, term: shard.term + 1, chain, status: 'Reconfiguring' },
      });
    }
    this.#logger.warn(
      {
        node: id,
        shards: affected.map((s) => s.id),
        silentForMs: Math.round(this.#detector.silentForMs(id) ?? 0),
      },
      'no lease renewal seen for a lease plus the margin: removing the node from its chains',
    );
    await this.#applyChanges(entries, 'failure');
  }

  /** Shards short of their replication factor get a replacement replica joining as tail. */
  async #restoreReplication(): Promise<void> {
    const state = this.#store.state;
    const entries: MetadataEntry[] = [];
    const load = state.load();
    for (const shard of state.shards.values()) {
      const rf = state.namespaces.get(shard.namespace)?.replicationFactor ?? shard.chain.length;
      if (shard.chain.length >= rf) continue;
      // A member unheard for a lease may be on its way out of the chain too (a partition cuts
      // whole chains off the control plane). A joiner added now could not copy from it, and once
      // the last such member is removed the joiner, holding nothing, would be the chain: wait
      // until every member renews again (or is removed, keeping the last) before adding one.
      if (shard.chain.some((id) => (this.#detector.silentForMs(id) ?? 0) >= this.#settings.nodeLeaseMs))
        continue;
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
    if (entries.length > 0) this.#logger.info({ entries: entries.length }, 'restoring replication factor');
    await this.#applyChanges(entries, 'restore');
  }
}
