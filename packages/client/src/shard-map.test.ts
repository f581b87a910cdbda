import type { Namespace, NodeInfo, Shard } from '@star/protocol';
import { keyHash } from '@star/protocol';
import { describe, expect, it } from 'vitest';
import { ShardMap } from './shard-map.js';

const ns: Namespace = { name: 'app', shards: 2, replicationFactor: 2 };
const shardA: Shard = {
  id: 1,
  namespace: 'app',
  hashRange: { min: 0, max: 0x7fffffff },
  term: 1,
  chain: ['n1', 'n2'],
  status: 'SteadyState',
};
const shardB: Shard = {
  ...shardA,
  id: 2,
  hashRange: { min: 0x80000000, max: 0xffffffff },
  chain: ['n2', 'n3'],
};
const node = (id: string, state: NodeInfo['state'] = 'alive'): NodeInfo => ({
  id,
  publicAddress: `${id}:1`,
  internalAddress: `${id}:1`,
  group: 'default',
  state,
  capacity: 1,
});

function loaded(): ShardMap {
  const map = new ShardMap();
  map.apply({
    type: 'snapshot',
    version: '1-0',
    namespaces: [ns],
    shards: [shardB, shardA],
    nodes: [node('n1'), node('n2'), node('n3')],
  });
  return map;
}

describe('ShardMap', () => {
  it('routes a key (or its partition key) to the shard whose hash range holds it', () => {
    const map = loaded();
    for (const key of ['a', 'b', 'user/42', 'ключ']) {
      const expected = keyHash(key) <= 0x7fffffff ? 1 : 2;
      expect(map.route('app', key).id, key).toBe(expected);
      expect(map.route('app', 'ignored', key).id, key).toBe(expected);
    }
    expect(map.shards('app').map((shard) => shard.id)).toEqual([1, 2]);
    expect(map.version).toBe('1-0');
  });

  it('applies changes in order and never lets an older term replace a newer one', () => {
    const map = loaded();
    map.apply({
      type: 'change',
      version: '2-0',
      entry: 'shard.reconfigured',
      shard: { ...shardA, term: 3, chain: ['n2'] },
    });
    expect(map.shard(1)?.chain).toEqual(['n2']);
    map.apply({
      type: 'change',
      version: '3-0',
      entry: 'shard.reconfigured',
      shard: { ...shardA, term: 2, chain: ['n1'] },
    });
    expect(map.shard(1)?.term).toBe(3);
    expect(map.version).toBe('3-0');
  });

  it('tracks node addresses and hides dead nodes', () => {
    const map = loaded();
    expect(map.address('n1')).toBe('n1:1');
    map.apply({ type: 'change', version: '2-0', entry: 'node.state', node: node('n1', 'dead') });
    expect(map.address('n1')).toBeUndefined();
    map.apply({ type: 'change', version: '3-0', entry: 'node.removed', id: 'n3' });
    expect(map.address('n3')).toBeUndefined();
  });

  it('adds and removes namespaces; an unknown namespace is NotFound', () => {
    const map = loaded();
    expect(() => map.shards('other')).toThrow(expect.objectContaining({ code: 'NotFound' }));
    map.apply({
      type: 'change',
      version: '2-0',
      entry: 'namespace.created',
      namespace: { ...ns, name: 'other', shards: 1 },
      shards: [{ ...shardA, id: 7, namespace: 'other', hashRange: { min: 0, max: 0xffffffff } }],
    });
    expect(map.route('other', 'x').id).toBe(7);
    map.apply({ type: 'change', version: '3-0', entry: 'namespace.deleted', name: 'other' });
    expect(map.hasNamespace('other')).toBe(false);
    expect(map.shard(7)).toBeUndefined();
    // A snapshot replaces everything.
    map.apply({ type: 'snapshot', version: '4-0', namespaces: [], shards: [], nodes: [] });
    expect(map.hasNamespace('app')).toBe(false);
  });
});
