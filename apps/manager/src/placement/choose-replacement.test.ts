import type { NodeInfo } from '@star/protocol';
import { describe, expect, it } from 'vitest';
import { chooseReplacement } from './choose-replacement.js';

function node(id: string, group = 'g1', state: NodeInfo['state'] = 'alive', capacity = 1): NodeInfo {
  return { id, publicAddress: `${id}:1`, internalAddress: `${id}:2`, group, state, capacity };
}

describe('chooseReplacement', () => {
  it('picks the least-loaded alive node outside the chain', () => {
    const nodes = [node('n1'), node('n2'), node('n3'), node('n4'), node('n5')];
    const load = new Map([
      ['n1', 1],
      ['n2', 9],
      ['n3', 6],
      ['n4', 5],
      ['n5', 7],
    ]);
    // n1 is least loaded but already in the chain.
    expect(chooseReplacement({ chain: ['n1', 'n2'], shard: 4, nodes, load })).toBe('n4');
  });

  it('skips dead, suspect and draining nodes, and answers undefined when nobody is left', () => {
    const nodes = [
      node('n1'),
      node('n2'),
      node('n3', 'g1', 'dead'),
      node('n4', 'g1', 'draining'),
      node('n5', 'g1', 'suspect'),
    ];
    const load = new Map<string, number>();
    expect(chooseReplacement({ chain: ['n1'], nodes, load })).toBe('n2');
    expect(chooseReplacement({ chain: ['n1', 'n2'], nodes, load })).toBeUndefined();
  });

  it('prefers a group not yet in the chain among equally loaded nodes', () => {
    const nodes = [node('a1', 'A'), node('a2', 'A'), node('b1', 'B'), node('b2', 'B'), node('c1', 'C')];
    const load = new Map([
      ['a2', 3],
      ['b2', 3],
      ['c1', 3],
    ]);
    expect(chooseReplacement({ chain: ['a1', 'b1'], nodes, load })).toBe('c1');
  });

  it('weights load by capacity', () => {
    const nodes = [node('n1'), node('small'), node('big', 'g1', 'alive', 4)];
    const load = new Map([
      ['small', 2],
      ['big', 6],
    ]);
    expect(chooseReplacement({ chain: ['n1'], nodes, load })).toBe('big');
  });

  it('is deterministic and spreads ties across shards by shard id', () => {
    const nodes = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map((id) => node(id));
    const load = new Map<string, number>();
    const picks = new Set<string>();
    for (let shard = 0; shard < 32; shard++) {
      const pick = chooseReplacement({ chain: ['n1'], shard, nodes, load });
      expect(chooseReplacement({ chain: ['n1'], shard, nodes: [...nodes].reverse(), load })).toBe(pick);
      picks.add(pick!);
    }
    expect(picks.size).toBeGreaterThan(1);
    expect(picks.has('n1')).toBe(false);
  });
});
