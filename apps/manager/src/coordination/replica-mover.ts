import type { Logger } from 'pino';
import type { MetadataEntry } from '../metadata/journal-entries.js';
import type { MetadataState } from '../metadata/metadata-state.js';
import { planRebalance, type RebalanceMove } from '../placement/index.js';

/**
 * Carries out rebalancing and draining one move at a time, each in two reconfigurations: the
 * target joins the chain as tail (it catches up from its predecessor through the handshake), and
 * only once JoinerSync found it holding everything the chain committed does the source leave. A replica count
 * never drops below the replication factor during a move.
 */
export class ReplicaMover {
  readonly #logger: Logger;
  #inFlight: RebalanceMove | undefined;
  moves = 0;

  constructor(params: { logger: Logger }) {
    this.#logger = params.logger.child({ component: 'mover' });
  }

  get inFlight(): RebalanceMove | undefined {
    return this.#inFlight;
  }

  /**
   * One step; returns the entries to journal (the caller commits and publishes them). `balance`
   * off still drains: a draining node must empty whatever the setting.
   */
  async step(state: MetadataState, balance: boolean): Promise<MetadataEntry[]> {
    const move = this.#inFlight;
    if (move !== undefined) {
      const shard = state.shards.get(move.shard);
      if (shard === undefined || !shard.chain.includes(move.to)) {
        this.#inFlight = undefined;
        return [];
      }
      if (!shard.chain.includes(move.from)) {
        this.#inFlight = undefined;
        return [];
      }
      // The target holds everything once JoinerSync journaled it as synced.
      if (shard.joining?.includes(move.to)) return [];
      this.#inFlight = undefined;
      this.moves++;
      this.#logger.info(move, 'replica moved');
      const chain = shard.chain.filter((id) => id !== move.from);
      return [
        {
          type: 'shard.reconfigured',
          data: { id: shard.id, term: shard.term + 1, chain, status: 'SteadyState' },
        },
      ];
    }
    const chains = new Map([...state.shards.values()].map((shard) => [shard.id, shard.chain]));
    const nodes = [...state.nodes.values()];
    const [next] = planRebalance({ chains, nodes, maxMoves: 1 });
    if (next === undefined) return [];
    const draining = state.nodes.get(next.from)?.state === 'draining';
    if (!balance && !draining) return [];
    const shard = state.shards.get(next.shard)!;
    this.#inFlight = next;
    this.#logger.info({ ...next, draining }, 'moving a replica: target joins as tail');
    return [
      {
        type: 'shard.reconfigured',
        data: { id: shard.id, term: shard.term + 1, chain: [...shard.chain, next.to], status: 'Joining' },
      },
    ];
  }
}
