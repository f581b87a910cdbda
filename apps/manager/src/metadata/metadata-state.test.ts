import type { NodeInfo, Shard } from '@star/protocol';
import { describe, expect, it } from 'vitest';
import type { MetadataEntry } from './journal-entries.js';
import { canonicalJson, MetadataState } from './metadata-state.js';

const node = (id: string): NodeInfo => ({
  id,
  publicAddress: `${id}:1`,
  internalAddress: `${id}:1`,
  group: 'default',
  state: 'alive',
  capacity: 1,
});
const shard = (id: number, chain: string[]): Shard => ({
  id,
  namespace: 'ns',
  hashRange: { min: 0, max: 0xffffffff },
  term: 1,
  chain,
  status: 'SteadyState',
});

function replay(entries: MetadataEntry[]): MetadataState {
  const state = new MetadataState();
  for (const [i, entry] of entries.entries()) state.apply(entry, `${i + 1}-0`);
  return state;
}

describe('MetadataState', () => {
  const history: MetadataEntry[] = [
    { type: 'node.registered', data: { node: node('n1') } },
    { type: 'node.registered', data: { node: node('n2') } },
    {
      type: 'namespace.created',
      data: {
        namespace: { name: 'ns', shards: 1, replicationFactor: 2 },
        shards: [shard(1, ['n1', 'n2'])],
        nextShardId: 2,
      },
    },
    { type: 'node.state', data: { id: 'n2', state: 'dead' } },
    { type: 'shard.reconfigured', data: { id: 1, term: 2, chain: ['n1'], status: 'SteadyState' } },
  ];

  it('folds journal entries into namespaces, shards, chains, terms and nodes', () => {
    const state = replay(history);
    expect(state.shards.get(1)).toMatchObject({ term: 2, chain: ['n1'] });
    expect(state.nodes.get('n2')?.state).toBe('dead');
    expect(state.load()).toEqual(
      new Map([
        ['n1', 1],
        ['n2', 0],
      ]),
    );
    expect(state.lastEntryId).toBe('5-0');
    expect(state.nextShardId).toBe(2);
  });

  it('never lets a shard term go backwards', () => {
    const state = replay([
      ...history,
      { type: 'shard.reconfigured', data: { id: 1, term: 1, chain: ['n1', 'n2'], status: 'SteadyState' } },
    ]);
    expect(state.shards.get(1)).toMatchObject({ term: 2, chain: ['n1'] });
  });

  it('dumps canonically: the same entries give the same string whatever the key order', () => {
    expect(replay(history).dump()).toBe(replay(history).dump());
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 0 }] } })).toBe(
      '{"a":{"c":[3,{"e":0,"f":1}],"d":2},"b":1}',
    );
  });

  it('forgets a deleted namespace and its shards', () => {
    const state = replay([...history, { type: 'namespace.deleted', data: { name: 'ns' } }]);
    expect(state.namespaces.size).toBe(0);
    expect(state.shards.size).toBe(0);
  });

  describe('joiners (members not yet known to hold every committed entry)', () => {
    const created: MetadataEntry = {
      type: 'namespace.created',
      data: {
        namespace: { name: 'ns', shards: 1, replicationFactor: 3 },
        shards: [shard(1, ['n1', 'n2', 'n3'])],
        nextShardId: 2,
      },
    };
    const reconfigured = (term: number, chain: string[]): MetadataEntry => ({
      type: 'shard.reconfigured',
      data: { id: 1, term, chain, status: 'SteadyState' },
    });
    const synced = (term: number, node: string): MetadataEntry => ({
      type: 'shard.synced',
      data: { id: 1, term, node },
    });

    it('a new chain has none; a member new to the chain joins; a removal or reorder adds none', () => {
      const state = replay([created, reconfigured(2, ['n1', 'n2']), reconfigured(3, ['n1', 'n2', 'n4'])]);
      expect(state.shards.get(1)!.joining).toEqual(['n4']);
      state.apply(reconfigured(4, ['n2', 'n1', 'n4']), '9-0');
      expect(state.shards.get(1)!.joining).toEqual(['n4']);
      state.apply(reconfigured(5, ['n2', 'n4']), '10-0');
      expect(state.shards.get(1)!.joining).toEqual(['n4']);
    });

    it('a joiner synced at the current term holds everything; at another term the entry is ignored', () => {
      const state = replay([created, reconfigured(2, ['n1', 'n2', 'n3', 'n4'])]);
      state.apply(synced(1, 'n4'), '5-0');
      expect(state.shards.get(1)!.joining).toEqual(['n4']);
      state.apply(synced(2, 'n4'), '6-0');
      expect(state.shards.get(1)).not.toHaveProperty('joining');
      // Removed and added again, it joins afresh.
      state.apply(reconfigured(3, ['n1', 'n2', 'n3']), '7-0');
      state.apply(reconfigured(4, ['n1', 'n2', 'n3', 'n4']), '8-0');
      expect(state.shards.get(1)!.joining).toEqual(['n4']);
    });

    it('a joiner that leaves the chain is no longer one', () => {
      const state = replay([
        created,
        reconfigured(2, ['n1', 'n2', 'n3', 'n4']),
        reconfigured(3, ['n1', 'n2', 'n3']),
      ]);
      expect(state.shards.get(1)).not.toHaveProperty('joining');
    });
  });
});
