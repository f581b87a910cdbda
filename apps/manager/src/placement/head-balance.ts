import type { NodeInfo } from '@star/protocol';
import { compareIds, weight } from './node-ranking.js';

/** One hand-over on a path: `chain`'s head role passes to `to`, who swaps places with the old head. */
export interface HandOver {
  chain: NodeInfo[];
  to: NodeInfo;
}

/**
 * The first hand-over path `evenOutHeads` would take (chains left as they are), or undefined when
 * no path lowers sum(heads² / capacity). Applying every hand-over of the path at once moves one
 * head from the path's first node to its last; every node between keeps its count.
 */
export function findHandOverPath(
  chains: NodeInfo[][],
  heads: ReadonlyMap<string, number>,
): HandOver[] | undefined {
  const headed = new Map<string, NodeInfo[][]>();
  for (const chain of chains) {
    const list = headed.get(chain[0]!.id);
    if (list) list.push(chain);
    else headed.set(chain[0]!.id, [chain]);
  }
  const nodes = [...new Map(chains.flat().map((node) => [node.id, node])).values()];
  const count = (node: NodeInfo) => heads.get(node.id) ?? 0;
  const byMostHeads = (a: NodeInfo, b: NodeInfo) =>
    count(b) * weight(a) - count(a) * weight(b) || compareIds(a.id, b.id);
  for (const source of nodes.sort(byMostHeads)) {
    if (!nodes.some((node) => helps(source, node, count))) continue;
    const path = handOverPath(source, headed, count);
    if (path) return path;
  }
  return undefined;
}

/**
 * Moves the head role inside chains (membership unchanged, chains edited in place) while that
 * strictly lowers sum(heads² / capacity), updating `heads`. A single swap is not always enough,
 * so it looks for a path of hand-overs from a node heading too many chains to one heading too few
 * (X heads a chain Y is in, Y heads one Z is in, ...): every node on the way keeps its count.
 * Deterministic: sources by most heads per capacity then id, paths breadth-first.
 */
export function evenOutHeads(chains: NodeInfo[][], heads: Map<string, number>): void {
  const headed = new Map<string, NodeInfo[][]>();
  for (const chain of chains) {
    const list = headed.get(chain[0]!.id);
    if (list) list.push(chain);
    else headed.set(chain[0]!.id, [chain]);
  }
  const nodes = [...new Map(chains.flat().map((node) => [node.id, node])).values()];
  const count = (node: NodeInfo) => heads.get(node.id) ?? 0;
  const byMostHeads = (a: NodeInfo, b: NodeInfo) =>
    count(b) * weight(a) - count(a) * weight(b) || compareIds(a.id, b.id);
  for (;;) {
    let found: { source: NodeInfo; path: HandOver[] } | undefined;
    for (const source of nodes.sort(byMostHeads)) {
      // Cheap check first: is there any node at all that a hand-over from `source` would help?
      if (!nodes.some((node) => helps(source, node, count))) continue;
      const path = handOverPath(source, headed, count);
      if (path) {
        found = { source, path };
        break;
      }
    }
    if (!found) return;
    for (const { chain, to } of found.path) {
      const from = chain[0]!;
      chain[chain.indexOf(to)] = from;
      chain[0] = to;
      headed.set(
        from.id,
        headed.get(from.id)!.filter((c) => c !== chain),
      );
      const list = headed.get(to.id);
      if (list) list.push(chain);
      else headed.set(to.id, [chain]);
    }
    const target = found.path.at(-1)!.to;
    heads.set(found.source.id, count(found.source) - 1);
    heads.set(target.id, count(target) + 1);
  }
}

/** Whether one head passing from `source` to `target` lowers sum(heads²/weight): (2·ht + 1)/wt < (2·hs − 1)/ws. */
export function helps(source: NodeInfo, target: NodeInfo, count: (node: NodeInfo) => number): boolean {
  return (2 * count(target) + 1) * weight(source) < (2 * count(source) - 1) * weight(target);
}

/**
 * Breadth-first from `source` (chains it heads, members by id) to the first node that taking
 * one head from `source` helps.
 */
function handOverPath(
  source: NodeInfo,
  headed: ReadonlyMap<string, NodeInfo[][]>,
  count: (node: NodeInfo) => number,
): HandOver[] | undefined {
  const reachedBy = new Map<string, HandOver | null>([[source.id, null]]);
  const queue = [source];
  for (let node = queue.shift(); node; node = queue.shift()) {
    for (const chain of headed.get(node.id) ?? []) {
      for (const member of [...chain].sort((a, b) => compareIds(a.id, b.id))) {
        if (reachedBy.has(member.id)) continue;
        const step = { chain, to: member };
        reachedBy.set(member.id, step);
        if (helps(source, member, count)) {
          const path: HandOver[] = [];
          for (let at: HandOver | null | undefined = step; at; at = reachedBy.get(at.chain[0]!.id)) {
            path.unshift(at);
          }
          return path;
        }
        queue.push(member);
      }
    }
  }
  return undefined;
}
