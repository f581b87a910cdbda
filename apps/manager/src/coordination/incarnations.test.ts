import type { NodeInfo, NodeRegistration, Shard } from '@star/protocol';
import { describe, expect, it } from 'vitest';
import { isRestart, memberLogEnds, reenterRestarted } from './incarnations.js';

function shard(id: number, term: number, chain: string[], status: Shard['status'] = 'SteadyState'): Shard {
  return { id, namespace: 'ns', hashRange: { min: 0, max: 1 }, term, chain, status };
}

const known: NodeInfo = {
  id: 'n1',
  publicAddress: 'a:1',
  internalAddress: 'a:1',
  group: 'default',
  state: 'alive',
  capacity: 1,
  incarnation: 'i1',
};
const registration: NodeRegistration = {
  id: 'n1',
  address: 'a:1',
  group: 'default',
  capacity: 1,
  startedAt: 1,
  incarnation: 'i1',
};

describe('incarnations', () => {
  it('a registration under another incarnation than the journaled one is a restart; a first one is not', () => {
    expect(isRestart(known, registration)).toBe(false);
    expect(isRestart(known, { ...registration, incarnation: 'i2' })).toBe(true);
    expect(isRestart(undefined, registration)).toBe(false);
  });

  it('re-enters restarted nodes at the tail of every chain holding them, with one term bump per shard, status kept', () => {
    const entries = reenterRestarted(
      [
        shard(1, 4, ['n1', 'n2', 'n3']),
        shard(2, 7, ['n2', 'n1'], 'Reconfiguring'),
        shard(3, 2, ['n2', 'n4']),
      ],
      new Set(['n1']),
    );
    expect(entries).toEqual([
      {
        type: 'shard.reconfigured',
        data: { id: 1, term: 5, chain: ['n2', 'n3', 'n1'], status: 'SteadyState' },
      },
      {
        type: 'shard.reconfigured',
        data: { id: 2, term: 8, chain: ['n2', 'n1'], status: 'Reconfiguring' },
      },
    ]);
  });

  it('two nodes restarted together: both behind the others, in their chain order, one bump', () => {
    const entries = reenterRestarted([shard(1, 4, ['n1', 'n2', 'n3'])], new Set(['n1', 'n2']));
    expect(entries).toEqual([
      {
        type: 'shard.reconfigured',
        data: { id: 1, term: 5, chain: ['n3', 'n1', 'n2'], status: 'SteadyState' },
      },
    ]);
  });

  it('every member restarted (a power cut): the longest log heads the chain, an unknown one goes last', async () => {
    const ends = await memberLogEnds(
      [
        { id: 'n1', address: 'a:1' },
        { id: 'n2', address: 'b:1' },
        { id: 'n3', address: 'c:1' },
      ],
      async (address) => {
        if (address === 'c:1') throw new Error('no answer');
        const lastSeq = address === 'a:1' ? 90 : 100;
        return {
          node: address,
          leaseValidForMs: 0,
          shards: [{ shard: 1, term: 4, role: 'none', chain: [], lastSeq, commitSeq: 80, dirtyKeys: 0 }],
        };
      },
    );
    const entries = reenterRestarted(
      [shard(1, 4, ['n1', 'n2', 'n3'])],
      new Set(['n1', 'n2', 'n3']),
      (node, id) => ends.get(node)?.get(id),
    );
    expect(entries[0]!.data).toMatchObject({ term: 5, chain: ['n2', 'n1', 'n3'] });
  });

  it('restarts seen one by one: a member re-entered earlier that lacks committed entries does not lead', () => {
    // n1 restarted first and was re-entered as tail behind n3 and n2, then those restarted too:
    // n1 lost entries the old tail n2 committed, so n2 (the longest, holding every commit) leads.
    const ends = new Map([
      ['n1', { lastSeq: 635, commitSeq: 630 }],
      ['n3', { lastSeq: 652, commitSeq: 640 }],
      ['n2', { lastSeq: 659, commitSeq: 659 }],
    ]);
    const entries = reenterRestarted([shard(1, 2, ['n3', 'n2', 'n1'])], new Set(['n3', 'n2']), (node) =>
      ends.get(node),
    );
    expect(entries[0]!.data).toMatchObject({ term: 3, chain: ['n2', 'n3', 'n1'] });
  });

  it('a live head that did not answer keeps leading; a silent restarted member goes last', () => {
    const entries = reenterRestarted([shard(1, 2, ['n1', 'n2', 'n3'])], new Set(['n2', 'n3']), (node) =>
      node === 'n3' ? { lastSeq: 10, commitSeq: 10 } : undefined,
    );
    expect(entries[0]!.data).toMatchObject({ chain: ['n1', 'n3', 'n2'] });
  });

  it('a joiner that has not caught up never heads the chain, even when the holder restarted', () => {
    // n2 joined behind n1 and has not caught up; n1 restarted: n1 still leads, n2 stays behind it.
    const entries = reenterRestarted(
      [{ ...shard(1, 3, ['n1', 'n2']), joining: ['n2'] }],
      new Set(['n1']),
      (node) => (node === 'n1' ? { lastSeq: 90, commitSeq: 80 } : { lastSeq: 95, commitSeq: 40 }),
    );
    expect(entries[0]!.data).toMatchObject({ term: 4, chain: ['n1', 'n2'] });
  });
});
