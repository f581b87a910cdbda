import { ChainMethods, type NodeStatus, type Shard, type ShardReplicaStatus } from '@star/protocol';
import type { Logger } from 'pino';
import type { MetadataEntry } from '../metadata/journal-entries.js';
import type { MetadataState } from '../metadata/metadata-state.js';
import type { ChainPublisher } from './chain-publisher.js';

/** The members of `chain` that hold every committed entry of `shard`: all but its joiners. */
export function holders(shard: Shard, chain: readonly string[] = shard.chain): string[] {
  const joining = new Set(shard.joining ?? []);
  return chain.filter((id) => !joining.has(id));
}

/**
 * Finds joiners that have caught up and journals them as holders (`shard.synced`), so that the
 * chain may then lose its older members. A joiner is caught up once, at the shard's current term,
 * it has committed everything the first holder (the member upstream of every joiner) had in its
 * log when asked: that log holds every entry committed by then (a holder's log holds what the tail
 * committed), and every entry committed since went through the joiner, a member at this term. The
 * holder is asked first, then the joiners, so the comparison is never against a later log.
 */
export class JoinerSync {
  readonly #publisher: ChainPublisher;
  readonly #logger: Logger;
  readonly #heard: (node: string) => boolean;

  constructor(params: {
    publisher: ChainPublisher;
    logger: Logger;
    /** Whether this manager heard `node` renew within a lease: others are not asked (a blackholed
     * node would cost a request timeout in the membership check). */
    heard: (node: string) => boolean;
  }) {
    this.#publisher = params.publisher;
    this.#logger = params.logger.child({ component: 'joiner-sync' });
    this.#heard = params.heard;
  }

  /** `shard.synced` entries for the joiners caught up now (the caller commits them). */
  async step(state: MetadataState): Promise<MetadataEntry[]> {
    const shards = [...state.shards.values()].filter((shard) => (shard.joining ?? []).length > 0);
    const found = await Promise.all(shards.map((shard) => this.#caughtUp(state, shard)));
    return shards.flatMap((shard, i) =>
      found[i]!.map(
        (node): MetadataEntry => ({ type: 'shard.synced', data: { id: shard.id, term: shard.term, node } }),
      ),
    );
  }

  async #caughtUp(state: MetadataState, shard: Shard): Promise<string[]> {
    const [source] = holders(shard);
    if (source === undefined) {
      this.#logger.error(
        { shard: shard.id, chain: shard.chain },
        'a chain of joiners only: nothing to catch up from',
      );
      return [];
    }
    const sourceLog = await this.#replica(state, source, shard);
    if (sourceLog === undefined) return [];
    const joiners = shard.joining ?? [];
    const logs = await Promise.all(joiners.map((id) => this.#replica(state, id, shard)));
    const synced = joiners.filter((_, i) => (logs[i]?.commitSeq ?? -1) >= sourceLog.lastSeq);
    if (synced.length > 0)
      this.#logger.info(
        { shard: shard.id, term: shard.term, synced, upTo: sourceLog.lastSeq },
        'joiners caught up',
      );
    return synced;
  }

  /** `node`'s replica of `shard` at the shard's current term, or undefined (no answer, other term). */
  async #replica(state: MetadataState, node: string, shard: Shard): Promise<ShardReplicaStatus | undefined> {
    const address = state.nodes.get(node)?.internalAddress;
    if (address === undefined || !this.#heard(node)) return undefined;
    try {
      const status = await this.#publisher.request<NodeStatus>(address, ChainMethods.status, {});
      const replica = status.shards.find((s) => s.shard === shard.id);
      return replica !== undefined && replica.term === shard.term && replica.role !== 'none'
        ? replica
        : undefined;
    } catch (error) {
      this.#logger.debug({ err: error, node, shard: shard.id }, 'status query failed; will retry');
      return undefined;
    }
  }
}
