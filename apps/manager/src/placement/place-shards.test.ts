import { type NodeInfo, StarError } from '@star/protocol';
import { describe, expect, it } from 'vitest';
import { replicaCounts } from './node-ranking.js';
import { placeShards } from './place-shards.js';

function node(id: string, group = 'g1', state: NodeInfo['state'] = 'alive', capacity = 1): NodeInfo {
  return { id, publicAddress: `${id}:1`, internalAddress: `${id}:2`, group, state, capacity };
}

const spread = (counts: Iterable<number>) => {
  const all = [...counts];
  return Math.max(...all) - Math.min(...all);
};
const heads = (chains: Map<number, string[]>) => replicaCounts([...chains.values()].map((c) => [c[0]!]));

describe('placeShards', () => {
  const four = ['n1', 'n2', 'n3', 'n4'].map((id) => node(id));

  it('places 8 shards × RF 3 on 4 nodes: distinct members, counts within one, heads spread', () => {
    const chains = placeShards({ shards: 8, replicationFactor: 3, nodes: four });
    expect([...chains.keys()]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const chain of chains.values()) {
      expect(chain).toHaveLength(3);
      expect(new Set(chain).size).toBe(3);
    }
    const counts = replicaCounts(chains.values());
    expect(counts.size).toBe(4);
    expect(spread(counts.values())).toBeLessThanOrEqual(1);
    expect(Object.fromEntries(heads(chains))).toEqual({ n1: 2, n2: 2, n3: 2, n4: 2 });
  });

  it('evens out heads even when that takes a chain of hand-overs', () => {
    for (const [shards, rf] of [
      [8, 2],
      [64, 2],
      [13, 3],
    ] as const) {
      const chains = placeShards({ shards, replicationFactor: rf, nodes: four });
      expect(spread(heads(chains).values()), `${shards} × RF ${rf}`).toBeLessThanOrEqual(1);
      for (const chain of chains.values()) expect(new Set(chain).size).toBe(rf);
    }
  });

  it('spans both groups in every chain with 2 groups of 2 nodes', () => {
    const nodes = [node('a1', 'A'), node('a2', 'A'), node('b1', 'B'), node('b2', 'B')];
    for (const rf of [2, 3]) {
      const chains = placeShards({ shards: 12, replicationFactor: rf, nodes });
      for (const chain of chains.values()) {
        expect(new Set(chain.map((id) => id[0])).size, chain.join(',')).toBe(2);
      }
      expect(spread(replicaCounts(chains.values()).values())).toBeLessThanOrEqual(1);
    }
  });

  it('spreads a chain over as many groups as exist, evenly', () => {
    const nodes = ['A', 'B', 'C'].flatMap((g) => [1, 2, 3].map((i) => node(`${g}${i}`, g)));
    const chains = placeShards({ shards: 30, replicationFactor: 3, nodes });
    for (const chain of chains.values()) expect(new Set(chain.map((id) => id[0])).size).toBe(3);
    expect(spread(replicaCounts(chains.values()).values())).toBe(0);
    expect(spread(heads(chains).values())).toBeLessThanOrEqual(1);
  });

  it('refuses RF 3 on 2 alive nodes with BadRequest naming both numbers', () => {
    const nodes = [node('n1'), node('n2'), node('n3', 'g1', 'dead'), node('n4', 'g1', 'draining')];
    let error: unknown;
    try {
      placeShards({ shards: 1, replicationFactor: 3, nodes });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StarError);
    expect((error as StarError).code).toBe('BadRequest');
    expect((error as StarError).message).toMatch(/\b3\b.*\b2\b/);
    expect((error as StarError).details).toEqual({ replicationFactor: 3, eligibleNodes: 2 });
  });

  it('never chooses dead, suspect or draining nodes', () => {
    const nodes = [
      node('n1'),
      node('n2', 'g1', 'dead'),
      node('n3'),
      node('n4', 'g1', 'draining'),
      node('n5', 'g1', 'suspect'),
      node('n6'),
    ];
    const chains = placeShards({ shards: 10, replicationFactor: 3, nodes });
    expect([...replicaCounts(chains.values()).keys()].sort()).toEqual(['n1', 'n3', 'n6']);
  });

  it('counts existing load, filling the emptier nodes first', () => {
    const existingLoad = new Map([
      ['n1', 3],
      ['n2', 3],
      ['n3', 1],
      ['n4', 1],
    ]);
    const chains = placeShards({ shards: 4, replicationFactor: 2, nodes: four, existingLoad });
    const total = replicaCounts(chains.values());
    for (const [id, n] of existingLoad) total.set(id, (total.get(id) ?? 0) + n);
    expect(Object.fromEntries(total)).toEqual({ n1: 4, n2: 4, n3: 4, n4: 4 });
  });

  it('weights by capacity', () => {
    const nodes = [node('big', 'g1', 'alive', 2), node('s1'), node('s2')];
    const counts = replicaCounts(placeShards({ shards: 20, replicationFactor: 2, nodes }).values());
    expect(Object.fromEntries(counts)).toEqual({ big: 20, s1: 10, s2: 10 });
  });

  it('takes explicit shard ids and is deterministic regardless of node order', () => {
    const nodes = ['A', 'B'].flatMap((g) => [1, 2, 3].map((i) => node(`${g}${i}`, g)));
    const first = placeShards({ shards: [7, 3, 11], replicationFactor: 3, nodes });
    const again = placeShards({ shards: [7, 3, 11], replicationFactor: 3, nodes: [...nodes].reverse() });
    expect([...first.keys()]).toEqual([7, 3, 11]);
    expect([...again]).toEqual([...first]);
  });

  it('rejects invalid replication factors and repeated shard ids', () => {
    expect(() => placeShards({ shards: 1, replicationFactor: 0, nodes: four })).toThrow(StarError);
    expect(() => placeShards({ shards: [1, 1], replicationFactor: 1, nodes: four })).toThrow(/repeat/);
  });
});
