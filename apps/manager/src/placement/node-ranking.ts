import type { NodeInfo } from '@star/protocol';

/**
 * Shared pieces of placement: which nodes may take replicas, and the orderings every placement
 * decision uses, so that placing, replacing and rebalancing agree on what "less loaded" means.
 */

/** Node ids compared by UTF-16 code units: the same order on every machine, unlike `localeCompare`. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Nodes that may receive replicas: `alive` only (never suspect, dead or draining), sorted by id. */
export function eligibleNodes(nodes: readonly NodeInfo[]): NodeInfo[] {
  return nodes.filter((node) => node.state === 'alive').sort((a, b) => compareIds(a.id, b.id));
}

/** A node's capacity as a weight; capacities below 1 (never valid) count as 1. */
export function weight(node: NodeInfo): number {
  return Math.max(1, node.capacity);
}

/**
 * Compares `(aCount + 1) / aWeight` with `(bCount + 1) / bWeight` exactly (no floats): negative
 * when node a would be less loaded than node b after each took one more item. With equal
 * capacities this is a plain count comparison.
 */
export function compareLoadAfterAdd(
  aCount: number,
  aWeight: number,
  bCount: number,
  bWeight: number,
): number {
  return (aCount + 1) * bWeight - (bCount + 1) * aWeight;
}

/** How many chain slots each node holds, over every chain given. */
export function replicaCounts(chains: Iterable<readonly string[]>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const chain of chains) for (const id of chain) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

/** How many members of `chain` are in each group (members missing from `groupOf` are not counted). */
export function groupCounts(
  chain: readonly string[],
  groupOf: ReadonlyMap<string, string>,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of chain) {
    const group = groupOf.get(id);
    if (group !== undefined) counts.set(group, (counts.get(group) ?? 0) + 1);
  }
  return counts;
}

export function groupIndex(nodes: readonly NodeInfo[]): Map<string, string> {
  return new Map(nodes.map((node) => [node.id, node.group]));
}
