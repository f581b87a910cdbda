import type { NodeInfo } from '@star/protocol';
import { describe, expect, it } from 'vitest';
import { type HeadHandOver, planHeadHandOvers } from './plan-head-handovers.js';

function node(id: string, state: NodeInfo['state'] = 'alive', capacity = 1): NodeInfo {
  return { id, publicAddress: `${id}:1`, internalAddress: `${id}:2`, group: 'g1', state, capacity };
}

function headCounts(chains: Map<number, string[]>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const chain of chains.values()) counts[chain[0]!] = (counts[chain[0]!] ?? 0) + 1;
  return counts;
}

/** Plans and applies hand-overs until the plan is empty, as the leader does one check at a time. */
function converge(
  chains: Map<number, string[]>,
  nodes: NodeInfo[],
  movable = new Set(chains.keys()),
): { steps: HeadHandOver[][] } {
  const steps: HeadHandOver[][] = [];
  for (let i = 0; i < 100; i++) {
    const plan = planHeadHandOvers({ chains, nodes, movable });
    if (plan.length === 0) return { steps };
    for (const handOver of plan) {
      const before = chains.get(handOver.shard)!;
      expect(before[0]).toBe(handOver.from);
      expect(handOver.chain[0]).toBe(handOver.to);
      // A reorder: same members, only the two swap places.
      expect([...handOver.chain].sort()).toEqual([...before].sort());
      expect(handOver.chain.filter((id, at) => id !== before[at]).sort()).toEqual(
        [handOver.from, handOver.to].sort(),
      );
      chains.set(handOver.shard, handOver.chain);
    }
    steps.push(plan);
  }
  throw new Error('hand-overs did not converge in 100 steps');
}

const three = ['n1', 'n2', 'n3'].map((id) => node(id));

describe('planHeadHandOvers', () => {
  it('after churn left all 15 heads on one node, hands them back one at a time until 5/5/5', () => {
    const chains = new Map(Array.from({ length: 15 }, (_, i) => [i, ['n1', 'n2', 'n3']]));
    const { steps } = converge(chains, three);
    expect(headCounts(chains)).toEqual({ n1: 5, n2: 5, n3: 5 });
    // RF 3 on 3 nodes: every chain holds every node, so each step is one direct hand-over.
    expect(steps).toHaveLength(10);
    expect(steps.every((plan) => plan.length === 1)).toBe(true);
  });

  it('plans nothing when heads are already within one of even', () => {
    const chains = new Map<number, string[]>([
      [0, ['n1', 'n2', 'n3']],
      [1, ['n2', 'n3', 'n1']],
      [2, ['n3', 'n1', 'n2']],
      [3, ['n1', 'n3', 'n2']],
    ]);
    expect(planHeadHandOvers({ chains, nodes: three, movable: new Set(chains.keys()) })).toEqual([]);
  });

  it('hands over along a path when no chain of the busiest node holds the idlest', () => {
    const nodes = ['a', 'b', 'c'].map((id) => node(id));
    const chains = new Map<number, string[]>([
      [0, ['a', 'b']],
      [1, ['a', 'b']],
      [2, ['b', 'c']],
    ]);
    const plan = planHeadHandOvers({ chains, nodes, movable: new Set(chains.keys()) });
    // a gives a head to b, b passes one on to c: only a loses one, only c gains one.
    expect(plan.map(({ from, to }) => [from, to])).toEqual([
      ['a', 'b'],
      ['b', 'c'],
    ]);
    for (const handOver of plan) chains.set(handOver.shard, handOver.chain);
    expect(headCounts(chains)).toEqual({ a: 1, b: 1, c: 1 });
    expect(planHeadHandOvers({ chains, nodes, movable: new Set(chains.keys()) })).toEqual([]);
  });

  it('reorders only movable chains whose members are all alive, counting the others', () => {
    const nodes = [node('n1'), node('n2'), node('n3', 'dead'), node('n4')];
    const chains = new Map<number, string[]>([
      ...Array.from({ length: 6 }, (_, i): [number, string[]] => [i, ['n1', 'n2', 'n4']]),
      [6, ['n1', 'n3', 'n2']],
      [7, ['n1', 'n2', 'n4']],
    ]);
    // Shard 7 is busy (say a move is under way): it counts but stays as it is.
    const movable = new Set([0, 1, 2, 3, 4, 5, 6]);
    converge(chains, nodes, movable);
    expect(chains.get(6)).toEqual(['n1', 'n3', 'n2']);
    expect(chains.get(7)).toEqual(['n1', 'n2', 'n4']);
    // n1 keeps the two it must (shards 6 and 7); the 8 heads spread within one over n1, n2, n4.
    const counts = headCounts(chains);
    expect(Object.keys(counts).sort()).toEqual(['n1', 'n2', 'n4']);
    expect(Object.values(counts).sort()).toEqual([2, 3, 3]);
  });

  it('weighs heads by capacity: a node of capacity 2 heads twice as many', () => {
    const nodes = [node('big', 'alive', 2), node('s1'), node('s2')];
    const chains = new Map(Array.from({ length: 8 }, (_, i) => [i, ['s1', 'big', 's2']]));
    converge(chains, nodes);
    expect(headCounts(chains)).toEqual({ big: 4, s1: 2, s2: 2 });
  });
});
