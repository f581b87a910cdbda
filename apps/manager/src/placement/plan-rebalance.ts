import { type NodeInfo, StarError } from '@star/protocol';
import { chooseReplacement } from './choose-replacement.js';
import { applyMove, type RebalanceMove } from './moves.js';
import { compareIds, eligibleNodes, groupIndex, replicaCounts, weight } from './node-ranking.js';

export interface PlanRebalanceInput {
  /** Every shard's chain, head first. */
  chains: ReadonlyMap<number, readonly string[]>;
  nodes: readonly NodeInfo[];
  /** Stop after this many moves (default: no limit); drain moves come first. */
  maxMoves?: number;
}

/**
 * Moves that bring the cluster towards balance, in the order to carry them out; each is planned
 * on the chains the moves before it produce (see `applyMoves`).
 *
 * 1. Drain: every replica on a `draining` node (nodes by id, shards by id) moves to the node
 *    `chooseReplacement` picks. A replica with no alive node outside its chain stays put.
 * 2. Balance among `alive` nodes: repeatedly move one replica from the most loaded node (replicas
 *    per capacity) to the least loaded one that can take a replica of it, while that strictly
 *    lowers sum(replicas² / capacity). With equal capacities this ends once counts differ by at
 *    most one. The target is the least loaded one that can take a replica without shrinking the
 *    chain's group spread, else the least loaded one that can take any. Of the movable shards,
 *    prefer the one whose chain ends with the most distinct groups, then one the source does not
 *    head (no head change), then the lowest id.
 *
 * Replicas on suspect, dead or unknown nodes are left for failure handling; those nodes never
 * receive replicas. A move never puts a node twice in a chain. Deterministic.
 */
export function planRebalance(input: PlanRebalanceInput): RebalanceMove[] {
  const maxMoves = input.maxMoves ?? Number.POSITIVE_INFINITY;
  if (!(maxMoves >= 0)) throw new StarError('BadRequest', `maxMoves must be non-negative, got ${maxMoves}`);
  const chains = new Map([...input.chains].sort(([a], [b]) => a - b).map(([id, chain]) => [id, [...chain]]));
  const load = replicaCounts(chains.values());
  const placed = new Map<string, Set<number>>();
  for (const [shard, chain] of chains)
    for (const id of chain) placed.set(id, (placed.get(id) ?? new Set()).add(shard));
  const moves: RebalanceMove[] = [];
  const move = (m: RebalanceMove) => {
    chains.set(m.shard, applyMove(chains.get(m.shard)!, m));
    load.set(m.from, (load.get(m.from) ?? 0) - 1);
    load.set(m.to, (load.get(m.to) ?? 0) + 1);
    placed.get(m.from)!.delete(m.shard);
    placed.set(m.to, (placed.get(m.to) ?? new Set()).add(m.shard));
    moves.push(m);
  };

  const draining = input.nodes.filter((n) => n.state === 'draining').sort((a, b) => compareIds(a.id, b.id));
  for (const { id: from } of draining) {
    for (const shard of [...(placed.get(from) ?? [])].sort((a, b) => a - b)) {
      if (moves.length >= maxMoves) return moves;
      const rest = chains.get(shard)!.filter((id) => id !== from);
      const to = chooseReplacement({ chain: rest, shard, nodes: input.nodes, load });
      if (to !== undefined) move({ shard, from, to });
    }
  }

  const alive = eligibleNodes(input.nodes);
  const groupOf = groupIndex(input.nodes);
  while (moves.length < maxMoves) {
    const next = bestBalancingMove(alive, { chains, placed, load, groupOf });
    if (!next) break;
    move(next);
  }
  return moves;
}

/** What the balancing phase reads, kept current as moves are planned. */
interface ClusterView {
  chains: ReadonlyMap<number, readonly string[]>;
  /** Shards per node. */
  placed: ReadonlyMap<string, ReadonlySet<number>>;
  load: ReadonlyMap<string, number>;
  groupOf: ReadonlyMap<string, string>;
}

/** The next balancing move, or undefined when no move lowers the load potential. */
function bestBalancingMove(alive: readonly NodeInfo[], view: ClusterView): RebalanceMove | undefined {
  const count = (node: NodeInfo) => view.load.get(node.id) ?? 0;
  // Normalized load count/weight, compared exactly; ties by id.
  const byLoad = (a: NodeInfo, b: NodeInfo) => count(a) * weight(b) - count(b) * weight(a);
  const ascending = [...alive].sort((a, b) => byLoad(a, b) || compareIds(a.id, b.id));
  const descending = [...alive].sort((a, b) => byLoad(b, a) || compareIds(a.id, b.id));
  // The most loaded source that can give a replica away gives it to the least loaded target that
  // takes one keeping the chain's group spread, or failing that to the least loaded that takes one.
  for (const source of descending) {
    let fallback: RebalanceMove | undefined;
    for (const target of ascending) {
      if (target === source) continue;
      // Moving one replica lowers sum(count²/weight) iff (2·ct + 1)/wt < (2·cs − 1)/ws.
      if ((2 * count(target) + 1) * weight(source) >= (2 * count(source) - 1) * weight(target)) continue;
      const best = bestShardToMove(view, source.id, target.id);
      if (!best) continue;
      const move = { shard: best.shard, from: source.id, to: target.id };
      if (best.keepsGroups) return move;
      fallback ??= move;
    }
    if (fallback) return fallback;
  }
  return undefined;
}

/** Distinct groups in a chain; nodes of unknown group count as a group each. */
function distinctGroups(chain: readonly string[], groupOf: ReadonlyMap<string, string>): number {
  return new Set(chain.map((id) => groupOf.get(id) ?? `?${id}`)).size;
}

/**
 * The shard to move from `from` to `to`: the one whose chain ends with the most distinct groups,
 * then one `from` does not head (no head change), then the lowest id.
 */
function bestShardToMove(
  view: ClusterView,
  from: string,
  to: string,
): { shard: number; keepsGroups: boolean } | undefined {
  let best: { shard: number; groups: number; head: boolean } | undefined;
  for (const shard of view.placed.get(from) ?? []) {
    const chain = view.chains.get(shard)!;
    if (chain.includes(to)) continue;
    const after = chain.map((id) => (id === from ? to : id));
    const candidate = { shard, groups: distinctGroups(after, view.groupOf), head: chain[0] === from };
    if (!best || compareMoves(candidate, best) < 0) best = candidate;
  }
  if (!best) return undefined;
  return {
    shard: best.shard,
    keepsGroups: best.groups >= distinctGroups(view.chains.get(best.shard)!, view.groupOf),
  };
}

/** Negative when move a is preferred: more groups after, then not moving a head, then lower shard id. */
function compareMoves(
  a: { shard: number; groups: number; head: boolean },
  b: { shard: number; groups: number; head: boolean },
): number {
  return b.groups - a.groups || Number(a.head) - Number(b.head) || a.shard - b.shard;
}
