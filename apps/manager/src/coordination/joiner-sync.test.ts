import type { NodeInfo, NodeStatus, Shard, ShardReplicaStatus } from '@star/protocol';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MetadataState } from '../metadata/metadata-state.js';
import type { ChainPublisher } from './chain-publisher.js';
import { holders, JoinerSync } from './joiner-sync.js';

const node = (id: string): NodeInfo => ({
  id,
  publicAddress: `${id}:1`,
  internalAddress: `${id}:1`,
  group: 'default',
  state: 'alive',
  capacity: 1,
});

const shard: Shard = {
  id: 7,
  namespace: 'ns',
  hashRange: { min: 0, max: 0xffffffff },
  term: 4,
  chain: ['n1', 'n2', 'n3'],
  status: 'SteadyState',
  joining: ['n3'],
};

function stateWith(s: Shard): MetadataState {
  const state = new MetadataState();
  for (const id of ['n1', 'n2', 'n3']) state.nodes.set(id, node(id));
  state.shards.set(s.id, s);
  return state;
}

const replica = (over: Partial<ShardReplicaStatus>): ShardReplicaStatus => ({
  shard: 7,
  term: 4,
  role: 'middle',
  chain: shard.chain,
  lastSeq: 0,
  commitSeq: 0,
  dirtyKeys: 0,
  ...over,
});

/** Answers `node.status` from a table, recording who was asked in what order. */
function answering(table: Record<string, ShardReplicaStatus | Error>) {
  const asked: string[] = [];
  const publisher = {
    request: async (address: string): Promise<NodeStatus> => {
      const id = address.split(':')[0]!;
      asked.push(id);
      const answer = table[id];
      if (answer instanceof Error || answer === undefined) throw answer ?? new Error(`no ${id}`);
      return { node: id, leaseValidForMs: 1_000, shards: [answer] };
    },
  } as unknown as ChainPublisher;
  return { publisher, asked };
}

const logger = pino({ level: 'silent' });

describe('holders', () => {
  it('are the members that are not joining', () => {
    expect(holders(shard)).toEqual(['n1', 'n2']);
    expect(holders(shard, ['n3'])).toEqual([]);
    expect(holders({ ...shard, joining: undefined })).toEqual(['n1', 'n2', 'n3']);
  });
});

describe('JoinerSync', () => {
  it('journals a joiner that committed what the first holder held, asking the holder first', async () => {
    const { publisher, asked } = answering({
      n1: replica({ role: 'head', lastSeq: 120, commitSeq: 100 }),
      n3: replica({ role: 'tail', lastSeq: 120, commitSeq: 120 }),
    });
    const sync = new JoinerSync({ publisher, logger, heard: () => true });
    expect(await sync.step(stateWith(shard))).toEqual([
      { type: 'shard.synced', data: { id: 7, term: 4, node: 'n3' } },
    ]);
    expect(asked).toEqual(['n1', 'n3']);
  });

  it('keeps a joiner that committed less than the holder held, or answers at another term', async () => {
    for (const joiner of [
      replica({ role: 'tail', lastSeq: 120, commitSeq: 119 }),
      replica({ role: 'tail', term: 3, lastSeq: 500, commitSeq: 500 }),
      replica({ role: 'none', lastSeq: 500, commitSeq: 500 }),
    ]) {
      const { publisher } = answering({
        n1: replica({ role: 'head', lastSeq: 120, commitSeq: 100 }),
        n3: joiner,
      });
      const sync = new JoinerSync({ publisher, logger, heard: () => true });
      expect(await sync.step(stateWith(shard))).toEqual([]);
    }
  });

  it('asks nobody unheard and nobody when the holder does not answer', async () => {
    const silent = answering({ n1: new Error('refused'), n3: replica({ role: 'tail', commitSeq: 9 }) });
    expect(
      await new JoinerSync({ publisher: silent.publisher, logger, heard: () => true }).step(stateWith(shard)),
    ).toEqual([]);
    expect(silent.asked).toEqual(['n1']);
    const unheard = answering({ n1: replica({ role: 'head' }), n3: replica({ role: 'tail' }) });
    const sync = new JoinerSync({ publisher: unheard.publisher, logger, heard: (id) => id !== 'n1' });
    expect(await sync.step(stateWith(shard))).toEqual([]);
    expect(unheard.asked).toEqual([]);
  });
});
