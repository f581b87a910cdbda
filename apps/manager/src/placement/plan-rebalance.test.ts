import type { NodeInfo } from '@star/protocol';
import { describe, expect, it } from 'vitest';
import { applyMove, applyMoves } from './moves.js';
import { replicaCounts } from './node-ranking.js';
import { placeShards } from './place-shards.js';
import { planRebalance } from './plan-rebalance.js';

function node(id: string, group = 'g1', state: NodeInfo['state'] = 'alive', capacity = 1): NodeInfo {
  return { id, publicAddress: `${id}:1`, internalAddress: `${id}:2`, group, state, capacity };
}

const four = ['n1', 'n2', 'n3', 'n4'].map((id) => node(id));
const spread = (counts: Iterable<number>) => {
  const all = [...counts];
  return Math.max(...all) - Math.min(...all);
};

function expectValidChains(chains: Map<number, string[]>, rf: number) {
  for (const [shard, chain] of chains) {
    expect(chain, `shard ${shard}`).toHaveLength(rf);
    expect(new Set(chain).size, `shard ${shard}: ${chain.join(',')}`).toBe(rf);
  }
}

describe('planRebalance', () => {
  it('balances onto a new empty node', () => {
    const chains = placeShards({ shards: 8, replicationFactor: 3, nodes: four });
    const nodes = [...four, node('n5')];
    const moves = planRebalance({ chains, nodes });
    expect(moves.length).toBe(4);
    expect(moves.every((m) => m.to === 'n5')).toBe(true);
    const after = applyMoves(chains, moves);
    expectValidChains(after, 3);
    const counts = replicaCounts(after.values());
    expect(counts.get('n5')).toBe(4);
    expect(spread(['n1', 'n2', 'n3', 'n4', 'n5'].map((id) => counts.get(id) ?? 0))).toBeLessThanOrEqual(1);
    // Already balanced: nothing more to do.
    expect(planRebalance({ chains: after, nodes })).toEqual([]);
  });

  it('balances many shards over several joining nodes and keeps groups spread', () => {
    const initial = ['A', 'B'].flatMap((g) => [1, 2].map((i) => node(`${g}${i}`, g)));
    const chains = placeShards({ shards: 64, replicationFactor: 2, nodes: initial });
    const nodes = [...initial, node('A3', 'A'), node('B3', 'B'), node('A4', 'A'), node('B4', 'B')];
    const after = applyMoves(chains, planRebalance({ chains, nodes }));
    expectValidChains(after, 2);
    const counts = replicaCounts(after.values());
    expect(spread(nodes.map((n) => counts.get(n.id) ?? 0))).toBeLessThanOrEqual(1);
    const crossGroup = [...after.values()].filter((c) => new Set(c.map((id) => id[0])).size === 2).length;
    expect(crossGroup).toBe(64);
  });

  it('empties a draining node first, then balances the rest', () => {
    const nodes = [...four, node('n5')];
    const chains = placeShards({ shards: 10, replicationFactor: 3, nodes });
    const draining = nodes.map((n) => (n.id === 'n2' ? { ...n, state: 'draining' as const } : n));
    const moves = planRebalance({ chains, nodes: draining });
    const drainMoves = moves.findIndex((m) => m.from !== 'n2');
    expect(moves.slice(0, drainMoves === -1 ? moves.length : drainMoves).every((m) => m.from === 'n2')).toBe(
      true,
    );
    expect(moves.every((m) => m.to !== 'n2')).toBe(true);
    const after = applyMoves(chains, moves);
    expectValidChains(after, 3);
    const counts = replicaCounts(after.values());
    expect(counts.get('n2') ?? 0).toBe(0);
    expect(spread(['n1', 'n3', 'n4', 'n5'].map((id) => counts.get(id) ?? 0))).toBeLessThanOrEqual(1);
  });

  it('drains onto the only nodes left without ever duplicating a node in a chain', () => {
    const chains = placeShards({ shards: 8, replicationFactor: 3, nodes: four });
    const nodes = four.map((n) => (n.id === 'n4' ? { ...n, state: 'draining' as const } : n));
    const moves = planRebalance({ chains, nodes });
    let current = new Map([...chains].map(([id, c]) => [id, [...c]]));
    for (const move of moves) {
      current.set(move.shard, applyMove(current.get(move.shard)!, move));
      expectValidChains(current, 3);
    }
    current = applyMoves(chains, moves);
    expect(replicaCounts(current.values()).get('n4') ?? 0).toBe(0);
    for (const chain of current.values()) expect([...chain].sort()).toEqual(['n1', 'n2', 'n3']);
  });

  it('leaves a replica in place when no alive node can take it', () => {
    const chains = new Map([[1, ['n1', 'n2', 'n3']]]);
    const nodes = [node('n1'), node('n2'), node('n3', 'g1', 'draining')];
    expect(planRebalance({ chains, nodes })).toEqual([]);
  });

  it('never moves replicas to or from dead and suspect nodes', () => {
    const chains = placeShards({ shards: 8, replicationFactor: 2, nodes: four });
    const nodes = [
      node('n1'),
      node('n2', 'g1', 'dead'),
      node('n3', 'g1', 'suspect'),
      node('n4'),
      node('n5'),
      node('n6', 'g1', 'dead'),
    ];
    const moves = planRebalance({ chains, nodes });
    expect(moves.length).toBeGreaterThan(0);
    for (const m of moves) {
      expect(['n1', 'n4', 'n5']).toContain(m.from);
      expect(['n1', 'n4', 'n5']).toContain(m.to);
    }
    expectValidChains(applyMoves(chains, moves), 2);
  });

  it('honours maxMoves, drain moves first', () => {
    const chains = placeShards({ shards: 8, replicationFactor: 3, nodes: four });
    const nodes = [
      ...four.map((n) => (n.id === 'n1' ? { ...n, state: 'draining' as const } : n)),
      node('n5'),
    ];
    const all = planRebalance({ chains, nodes });
    const some = planRebalance({ chains, nodes, maxMoves: 3 });
    expect(some).toEqual(all.slice(0, 3));
    expect(some.every((m) => m.from === 'n1')).toBe(true);
    expect(planRebalance({ chains, nodes, maxMoves: 0 })).toEqual([]);
  });

  it('is deterministic: same input, same moves', () => {
    const chains = placeShards({ shards: 16, replicationFactor: 3, nodes: four });
    const nodes = [...four, node('n5'), node('n6')];
    const reordered = new Map([...chains].reverse());
    const moves = planRebalance({ chains, nodes });
    expect(planRebalance({ chains: reordered, nodes: [...nodes].reverse() })).toEqual(moves);
    expect(moves.length).toBeGreaterThan(0);
  });

  it('balances by capacity', () => {
    const chains = placeShards({ shards: 12, replicationFactor: 2, nodes: four });
    const nodes = [...four, node('big', 'g1', 'alive', 2)];
    const counts = replicaCounts(applyMoves(chains, planRebalance({ chains, nodes })).values());
    // 24 replicas over a total weight of 6: 4 per unit of capacity.
    expect(Object.fromEntries(counts)).toEqual({ n1: 4, n2: 4, n3: 4, n4: 4, big: 8 });
  });

  it('keeps its invariants across many cluster shapes (join, drain, groups)', () => {
    for (let n = 3; n <= 8; n++) {
      for (const groups of [1, 2, 3]) {
        for (const rf of [1, 2, 3]) {
          const initial = Array.from({ length: n }, (_, i) => node(`n${i}`, `g${i % groups}`));
          const chains = placeShards({ shards: 24, replicationFactor: rf, nodes: initial });
          const joined = [node('x1', 'g0'), node('x2', `g${1 % groups}`)];
          const nodes = [
            ...initial.map((x, i) => (i === 1 ? { ...x, state: 'draining' as const } : x)),
            ...joined,
          ];
          const after = applyMoves(chains, planRebalance({ chains, nodes }));
          expectValidChains(after, rf);
          const counts = replicaCounts(after.values());
          expect(counts.get('n1') ?? 0).toBe(0);
          const alive = nodes.filter((x) => x.state === 'alive').map((x) => counts.get(x.id) ?? 0);
          expect(spread(alive), `n=${n} groups=${groups} rf=${rf}`).toBeLessThanOrEqual(1);
        }
      }
    }
  });
});
