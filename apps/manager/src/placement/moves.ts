import { StarError } from '@star/protocol';

/** One replica move: `to` joins the shard's chain as the new tail, then `from` leaves it. */
export interface RebalanceMove {
  shard: number;
  from: string;
  to: string;
}

/**
 * The chain after `move`, the way reconfiguration carries it out (DESIGN §3.7): the joining
 * node becomes the tail, the leaving node is dropped (if it was head, its successor heads).
 * Throws if `from` is not in the chain or `to` already is: a move never duplicates a node.
 */
export function applyMove(chain: readonly string[], move: RebalanceMove): string[] {
  if (!chain.includes(move.from))
    throw new StarError('Conflict', `shard ${move.shard}: ${move.from} is not in its chain`);
  if (chain.includes(move.to))
    throw new StarError('Conflict', `shard ${move.shard}: ${move.to} is already in its chain`);
  return [...chain.filter((id) => id !== move.from), move.to];
}

/** Chains after every move in order; the input map is left as it was. */
export function applyMoves(
  chains: ReadonlyMap<number, readonly string[]>,
  moves: readonly RebalanceMove[],
): Map<number, string[]> {
  const result = new Map([...chains].map(([shard, chain]) => [shard, [...chain]]));
  for (const move of moves) {
    const chain = result.get(move.shard);
    if (!chain) throw new StarError('NotFound', `shard ${move.shard} is unknown`);
    result.set(move.shard, applyMove(chain, move));
  }
  return result;
}
