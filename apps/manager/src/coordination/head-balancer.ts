import { ChainMethods, type NodeStatus, type Shard, type ShardReplicaStatus } from '@star/protocol';
import type { Logger } from 'pino';
import type { MetadataEntry } from '../metadata/journal-entries.js';
import type { MetadataState } from '../metadata/metadata-state.js';
import { type HeadHandOver, planHeadHandOvers } from '../placement/index.js';
import type { ChainPublisher } from './chain-publisher.js';

/** How long a shard whose chain was not in sync is left out of planning (another path is tried). */
const NOT_IN_SYNC_BACKOFF_MS = 2_000;

/**
 * Hands head roles back after churn. Failover promotes a dead head's successor and a node that
 * rejoins (or a new one) joins every chain as tail, so without this, heads — and with them the
 * write work — pile up on the nodes that stayed up. Each step plans one hand-over path
 * (`planHeadHandOvers`: usually one shard) and carries it out as a reconfiguration with a term bump
 * that only reorders the chain: the new head swaps places with the old one, no member joins or
 * leaves, no data moves.
 *
 * Only a chain whose members all run the shard's current term (asked through `node.status`, as the
 * ReplicaMover does) and whose new head has committed at least what the old head has is reordered,
 * so the new head holds everything committed (the tail holds every committed entry, and every node
 * upstream of it holds what the tail holds). What the old head holds beyond that — writes it
 * sequenced but that were never committed — is not in the new head's log: when the old head
 * handshakes as a successor at the new term, its uncommitted suffix is truncated, and the clients
 * of those writes (never answered) retry them at the new head by request id, so each applies once.
 */
export class HeadBalancer {
  readonly #publisher: ChainPublisher;
  readonly #logger: Logger;
  readonly #notBefore = new Map<number, number>();
  handOvers = 0;

  constructor(params: { publisher: ChainPublisher; logger: Logger }) {
    this.#publisher = params.publisher;
    this.#logger = params.logger.child({ component: 'head-balancer' });
  }

  /** Entries for the next hand-overs (the caller commits and publishes them); none when even. */
  async step(state: MetadataState): Promise<MetadataEntry[]> {
    const now = performance.now();
    const chains = new Map([...state.shards.values()].map((shard) => [shard.id, shard.chain]));
    const movable = new Set<number>();
    for (const shard of state.shards.values()) {
      const rf = state.namespaces.get(shard.namespace)?.replicationFactor ?? shard.chain.length;
      if (shard.status !== 'SteadyState' || shard.chain.length !== rf) continue;
      // A joiner must stay behind the members it copies from: never a head before it caught up.
      if ((shard.joining ?? []).length > 0) continue;
      if ((this.#notBefore.get(shard.id) ?? 0) > now) continue;
      movable.add(shard.id);
    }
    const plan = planHeadHandOvers({ chains, nodes: [...state.nodes.values()], movable });
    if (plan.length === 0) return [];
    const shards = plan.map((handOver) => state.shards.get(handOver.shard)!);
    const lagging = await this.#notInSync(state, plan, shards);
    if (lagging.length > 0) {
      for (const id of lagging) this.#notBefore.set(id, now + NOT_IN_SYNC_BACKOFF_MS);
      this.#logger.debug({ shards: lagging }, 'chains not in sync; head hand-over postponed');
      return [];
    }
    this.handOvers += plan.length;
    this.#logger.info(
      { handOvers: plan.map(({ shard, from, to }) => ({ shard, from, to })) },
      'handing head roles over to even them out',
    );
    return plan.map((handOver, i) => ({
      type: 'shard.reconfigured',
      data: { id: handOver.shard, term: shards[i]!.term + 1, chain: handOver.chain, status: 'SteadyState' },
    }));
  }

  /** Shards of the plan with a member not at the shard's term, or a new head behind the old one. */
  async #notInSync(state: MetadataState, plan: HeadHandOver[], shards: Shard[]): Promise<number[]> {
    const members = [...new Set(shards.flatMap((shard) => shard.chain))];
    const statuses = new Map(
      await Promise.all(
        members.map(async (id): Promise<[string, NodeStatus | undefined]> => {
          const address = state.nodes.get(id)?.internalAddress;
          if (address === undefined) return [id, undefined];
          try {
            return [id, await this.#publisher.request<NodeStatus>(address, ChainMethods.status, {})];
          } catch (error) {
            this.#logger.debug({ err: error, node: id }, 'status query failed');
            return [id, undefined];
          }
        }),
      ),
    );
    const replica = (node: string, shard: Shard): ShardReplicaStatus | undefined => {
      const found = statuses.get(node)?.shards.find((s) => s.shard === shard.id);
      return found !== undefined && found.term === shard.term && found.role !== 'none' ? found : undefined;
    };
    return plan
      .filter((handOver, i) => {
        const shard = shards[i]!;
        if (!shard.chain.every((member) => replica(member, shard) !== undefined)) return true;
        return replica(handOver.to, shard)!.commitSeq < replica(handOver.from, shard)!.commitSeq;
      })
      .map((handOver) => handOver.shard);
  }
}
