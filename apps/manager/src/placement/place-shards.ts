import { type NodeInfo, StarError } from '@star/protocol';
import { evenOutHeads } from './head-balance.js';
import { compareIds, compareLoadAfterAdd, eligibleNodes, weight } from './node-ranking.js';

export interface PlaceShardsInput {
  /** How many new shards (ids 0..n-1 in the result), or their ids. */
  shards: number | readonly number[];
  replicationFactor: number;
  nodes: readonly NodeInfo[];
  /** Replicas each node already holds (of other shards); missing nodes hold none. */
  existingLoad?: ReadonlyMap<string, number>;
  /** Chains each node already heads; missing nodes head none. */
  existingHeads?: ReadonlyMap<string, number>;
}

/**
 * Chains (node ids, head first, tail last) for new shards, in the order the shards were given.
 *
 * Per shard, in order: take the `replicationFactor` alive nodes that are least loaded after one
 * more replica (load = replicas / capacity). Nodes strictly below the cut are taken as they are;
 * among the nodes tied at the cut, pick those whose group is least represented in the chain so
 * far, then from the least loaded group, then those heading least, then by id. So balance
 * comes first (equal capacities: counts that were within one of each other stay so, uneven ones
 * converge) and groups are spread as far as balance allows. The chosen node heading fewest
 * chains (per capacity) becomes head, the one tailing fewest becomes tail. Finally head roles
 * are evened out within the chains (`evenOutHeads`). Deterministic: equal inputs, equal chains.
 */
export function placeShards(input: PlaceShardsInput): Map<number, string[]> {
  const { replicationFactor: rf } = input;
  const shardIds = typeof input.shards === 'number' ? countShards(input.shards) : [...input.shards];
  if (!Number.isInteger(rf) || rf < 1) {
    throw new StarError('BadRequest', `replication factor must be a positive integer, got ${rf}`);
  }
  if (new Set(shardIds).size !== shardIds.length) throw new StarError('BadRequest', 'shard ids repeat');
  const eligible = eligibleNodes(input.nodes);
  if (rf > eligible.length) {
    throw new StarError(
      'BadRequest',
      `replication factor ${rf} needs ${rf} alive nodes, but only ${eligible.length} are eligible`,
      { replicationFactor: rf, eligibleNodes: eligible.length },
    );
  }
  const slots: Slot[] = eligible.map((node) => ({
    node,
    weight: weight(node),
    replicas: input.existingLoad?.get(node.id) ?? 0,
    heads: input.existingHeads?.get(node.id) ?? 0,
    tails: 0,
  }));
  const chains: NodeInfo[][] = [];
  for (const _ of shardIds) {
    const chain = orderChain(chooseMembers(slots, rf));
    for (const slot of chain) slot.replicas++;
    chain[0]!.heads++;
    if (chain.length > 1) chain.at(-1)!.tails++;
    chains.push(chain.map((slot) => slot.node));
  }
  evenOutHeads(chains, new Map(slots.map((slot) => [slot.node.id, slot.heads])));
  return new Map(shardIds.map((shard, i) => [shard, chains[i]!.map((node) => node.id)]));
}

function countShards(count: number): number[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new StarError('BadRequest', `shard count must be a non-negative integer, got ${count}`);
  }
  return Array.from({ length: count }, (_, i) => i);
}

/** An eligible node and what it holds so far, counting the chains placed in this call. */
interface Slot {
  node: NodeInfo;
  weight: number;
  replicas: number;
  heads: number;
  tails: number;
}

type Count = 'replicas' | 'heads' | 'tails';

/** Orders slots by `count` per capacity after one more (exactly), then by id. */
const by =
  (count: Count) =>
  (a: Slot, b: Slot): number =>
    compareLoadAfterAdd(a[count], a.weight, b[count], b.weight) || compareIds(a.node.id, b.node.id);
const byReplicas = by('replicas');
const byHeads = by('heads');
const byTails = by('tails');

function chooseMembers(slots: readonly Slot[], rf: number): Slot[] {
  // The rf least loaded (O(n·rf), no full sort): the last of them marks the cut.
  const least: Slot[] = [];
  for (const slot of slots) {
    if (least.length === rf && byReplicas(slot, least[rf - 1]!) >= 0) continue;
    let at = least.length;
    while (at > 0 && byReplicas(slot, least[at - 1]!) < 0) at--;
    least.splice(at, 0, slot);
    if (least.length > rf) least.pop();
  }
  const cut = least[rf - 1]!;
  const level = (slot: Slot) => compareLoadAfterAdd(slot.replicas, slot.weight, cut.replicas, cut.weight);
  const chosen = slots.filter((slot) => level(slot) < 0);
  const tied = slots.filter((slot) => level(slot) === 0);
  const groupLoad = new Map<string, { replicas: number; weight: number }>();
  for (const { node, replicas, weight } of slots) {
    const group = groupLoad.get(node.group) ?? { replicas: 0, weight: 0 };
    group.replicas += replicas;
    group.weight += weight;
    groupLoad.set(node.group, group);
  }
  const inChain = new Map<string, number>();
  for (const { node } of chosen) inChain.set(node.group, (inChain.get(node.group) ?? 0) + 1);
  // Among the tied: a group least represented in the chain so far, then the least loaded group
  // (taking from the group with most room keeps the low-load nodes left spread over groups, so
  // later chains can span them too), then the node heading least, then id.
  const better = (a: Slot, b: Slot) => {
    const ga = groupLoad.get(a.node.group)!;
    const gb = groupLoad.get(b.node.group)!;
    return (
      (inChain.get(a.node.group) ?? 0) - (inChain.get(b.node.group) ?? 0) ||
      ga.replicas * gb.weight - gb.replicas * ga.weight ||
      byHeads(a, b)
    );
  };
  while (chosen.length < rf) {
    let best = 0;
    for (let i = 1; i < tied.length; i++) if (better(tied[i]!, tied[best]!) < 0) best = i;
    const [slot] = tied.splice(best, 1);
    chosen.push(slot!);
    inChain.set(slot!.node.group, (inChain.get(slot!.node.group) ?? 0) + 1);
  }
  return chosen;
}

/** Head: the member heading fewest chains; tail: of the rest, the one tailing fewest; middle by id. */
function orderChain(members: Slot[]): Slot[] {
  const rest = [...members].sort(byHeads);
  const head = rest.shift()!;
  if (rest.length === 0) return [head];
  rest.sort(byTails);
  const tail = rest.shift()!;
  rest.sort((a, b) => compareIds(a.node.id, b.node.id));
  return [head, ...rest, tail];
}
