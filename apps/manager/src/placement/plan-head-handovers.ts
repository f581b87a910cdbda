import type { NodeInfo } from '@star/protocol';
import { findHandOverPath, type HandOver, helps } from './head-balance.js';
import { compareIds, weight } from './node-ranking.js';

/** One shard's head role passing from `from` to `to`: the two swap places, nobody joins or leaves. */
export interface HeadHandOver {
  shard: number;
  from: string;
  to: string;
  /** The reordered chain (head first). */
  chain: string[];
}

export interface PlanHeadHandOversInput {
  /** Every shard's chain, head first: heads are counted over all of them. */
  chains: ReadonlyMap<number, readonly string[]>;
  nodes: readonly NodeInfo[];
  /**
   * Shards whose head may be handed over now (steady, at their replication factor, no move under
   * way); the others only count. A chain with a member that is not alive is never reordered.
   */
  movable: ReadonlySet<number>;
}

/**
 * The next few head hand-overs that bring heads closer to even per node (heads per capacity), or
 * none when no reordering of the movable chains lowers sum(heads² / capacity) any more. Mostly
 * one direct hand-over, from the node heading most (per capacity) to the member of one of its
 * chains heading fewest, so no head moves twice. When no chain of an overloaded node holds one
 * that would help, a hand-over path (`findHandOverPath`): the first hand-over takes a head from
 * the overloaded node, each next one passes a head on from the node that just gained one, so
 * after all of them only the first node lost one and only the last gained one. Carry them out
 * together; plan again on the state they produce. Deterministic: equal inputs, equal plans.
 */
export function planHeadHandOvers(input: PlanHeadHandOversInput): HeadHandOver[] {
  const byId = new Map(input.nodes.map((node) => [node.id, node]));
  const heads = new Map<string, number>();
  for (const chain of input.chains.values()) {
    if (chain.length > 0) heads.set(chain[0]!, (heads.get(chain[0]!) ?? 0) + 1);
  }
  const shardOf = new Map<NodeInfo[], number>();
  for (const [shard, chain] of input.chains) {
    if (!input.movable.has(shard) || chain.length < 2) continue;
    const members = chain.map((id) => byId.get(id));
    if (!members.every((node) => node?.state === 'alive')) continue;
    shardOf.set(members as NodeInfo[], shard);
  }
  const chains = [...shardOf.keys()];
  const direct = directHandOver(chains, heads);
  const path = direct ? [direct] : findHandOverPath(chains, heads);
  if (path === undefined) return [];
  return path.map(({ chain, to }) => {
    const from = chain[0]!;
    const reordered = chain.map((node) => node.id);
    reordered[reordered.indexOf(to.id)] = from.id;
    reordered[0] = to.id;
    return { shard: shardOf.get(chain)!, from: from.id, to: to.id, chain: reordered };
  });
}

/** From the node heading most (per capacity) that has one, the hand-over to the member heading fewest. */
function directHandOver(chains: NodeInfo[][], heads: ReadonlyMap<string, number>): HandOver | undefined {
  const count = (node: NodeInfo) => heads.get(node.id) ?? 0;
  // a before b when a heads more per capacity (then by id).
  const byMostHeads = (a: NodeInfo, b: NodeInfo) =>
    count(b) * weight(a) - count(a) * weight(b) || compareIds(a.id, b.id);
  const sources = [...new Map(chains.map((chain) => [chain[0]!.id, chain[0]!])).values()].sort(byMostHeads);
  for (const source of sources) {
    let best: HandOver | undefined;
    for (const chain of chains) {
      if (chain[0] !== source) continue;
      for (const member of chain.slice(1)) {
        if (!helps(source, member, count)) continue;
        if (best === undefined || byMostHeads(best.to, member) < 0) best = { chain, to: member };
      }
    }
    if (best) return best;
  }
  return undefined;
}
