import type { Shard } from '@star/protocol';
import { describe, expect, it } from 'vitest';
import { headBalanceProblem, headCounts } from './head-balance.js';

const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];
function shardsHeadedBy(heads: string[]): Shard[] {
  return heads.map(
    (head, id): Shard => ({
      id,
      namespace: 'faults',
      hashRange: { min: 0, max: 0 },
      term: 1,
      chain: [head, ...nodes.filter((n) => n !== head).slice(0, 2)],
      status: 'SteadyState',
    }),
  );
}

describe('heads within one of even', () => {
  it('accepts 8 shards on 5 nodes headed 2,2,2,1,1', () => {
    const shards = shardsHeadedBy(['n1', 'n1', 'n2', 'n2', 'n3', 'n3', 'n4', 'n5']);
    expect(headBalanceProblem(shards, nodes)).toBeUndefined();
  });

  it('refuses a node that heads nothing while others head two (a restarted node never got a head back)', () => {
    const shards = shardsHeadedBy(['n1', 'n1', 'n3', 'n3', 'n4', 'n4', 'n5', 'n5']);
    expect(headCounts(shards, nodes).get('n2')).toBe(0);
    expect(headBalanceProblem(shards, nodes)).toBe('heads not within one of even: n1=2 n2=0 n3=2 n4=2 n5=2');
  });
});
