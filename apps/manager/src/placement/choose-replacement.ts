import { keyHash, type NodeInfo } from '@star/protocol';
import {
  compareIds,
  compareLoadAfterAdd,
  eligibleNodes,
  groupCounts,
  groupIndex,
  weight,
} from './node-ranking.js';

export interface ChooseReplacementInput {
  /** The shard's chain as it is now (a removed node may or may not still be listed). */
  chain: readonly string[];
  /** The shard's id: breaks ties between equally good nodes differently per shard. */
  shard?: number;
  nodes: readonly NodeInfo[];
  /** Replicas per node now; missing nodes hold none. */
  load: ReadonlyMap<string, number>;
}

/**
 * The node to add to `chain` to restore its replication factor, or undefined when no alive node
 * is left outside the chain. Ranked by: least loaded after taking the replica (replicas per
 * capacity), then a group with fewest members in the chain (a new group first), then, when
 * `shard` is given, a per-shard rendezvous hash, so replacing many shards at once without
 * updating `load` in between still spreads them, then id. Deterministic.
 */
export function chooseReplacement(input: ChooseReplacementInput): string | undefined {
  const { chain, shard, load } = input;
  const members = new Set(chain);
  const inChain = groupCounts(chain, groupIndex(input.nodes));
  const candidates = eligibleNodes(input.nodes).filter((node) => !members.has(node.id));
  const tieBreak = (node: NodeInfo) => (shard === undefined ? 0 : keyHash(`${shard}/${node.id}`));
  const ranked = candidates.sort(
    (a, b) =>
      compareLoadAfterAdd(load.get(a.id) ?? 0, weight(a), load.get(b.id) ?? 0, weight(b)) ||
      (inChain.get(a.group) ?? 0) - (inChain.get(b.group) ?? 0) ||
      tieBreak(a) - tieBreak(b) ||
      compareIds(a.id, b.id),
  );
  return ranked[0]?.id;
}
