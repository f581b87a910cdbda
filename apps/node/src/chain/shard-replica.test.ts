import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChainConfig, type LogEntry, StarError } from '@star/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ShardStore } from '../storage/shard-store.js';
import { ShardReplica } from './shard-replica.js';
import { replicaTestContext } from './testing/replica-context.js';

const _logger = pino({ level: 'silent' });
const dirs: string[] = [];
const replicas: ShardReplica[] = [];
afterEach(() => {
  for (const replica of replicas.splice(0)) replica.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function entry(seq: number, term: number, value: string): LogEntry {
  return {
    seq,
    term,
    op: 'put',
    key: 'k',
    value: Buffer.from(value),
    createdAt: 1,
    modifiedAt: seq,
    modifications: seq,
  };
}

function newReplica(nodeId: string, prepare?: (store: ShardStore) => void): ShardReplica {
  const dir = mkdtempSync(join(tmpdir(), 'star-replica-'));
  dirs.push(dir);
  const store = ShardStore.open(join(dir, 'shard-1.sqlite'));
  prepare?.(store);
  const replica = new ShardReplica(1, store, replicaTestContext(nodeId));
  replicas.push(replica);
  return replica;
}

/** Stands in for the link to the predecessor: records the acks sent up it. */
class UpstreamLink extends EventEmitter {
  readonly acks: number[] = [];
  closed = false;
  async notify(_method: string, body: { commitSeq: number }) {
    this.acks.push(body.commitSeq);
  }
}

function config(term: number, chain: string[]): ChainConfig {
  return { shard: 1, term, chain: chain.map((id) => ({ id, address: `${id}:1` })) };
}

async function readValue(replica: ShardReplica): Promise<string> {
  const response = await replica.read('k');
  return response.found ? Buffer.from(response.value).toString() : 'absent';
}

describe('ShardReplica rejoining as tail (regression)', () => {
  it('neither commits nor serves a diverged suffix before its predecessor confirms its log', async () => {
    // An old head that appended seqs 4 and 5 but died before forwarding them.
    const replica = newReplica('n1', (store) => {
      store.append([
        entry(1, 1, 'v1'),
        entry(2, 1, 'v2'),
        entry(3, 1, 'v3'),
        entry(4, 1, 'lost4'),
        entry(5, 1, 'lost5'),
      ]);
      store.commitFromLog(3);
    });
    replica.configure(config(3, ['n2', 'n3', 'n1']));
    expect(replica.status()).toMatchObject({ role: 'tail', lastSeq: 5, commitSeq: 3 });
    await expect(replica.read('k')).rejects.toMatchObject({ code: 'Unavailable' });
    expect(() => replica.tailCommitSeq()).toThrow(StarError);

    const upstream = new UpstreamLink();
    const link = upstream as never;
    expect(replica.onHandshake('n3', link)).toEqual({ lastSeq: 5, lastTerm: 1, commitSeq: 3 });
    // The predecessor finds seq 5 of term 1 unknown and truncates back to the commit point.
    expect(replica.onTruncate(3)).toEqual({ lastSeq: 3 });
    replica.onAppend(
      { shard: 1, term: 3, commitSeq: 6, entries: [entry(4, 2, 'v4'), entry(5, 2, 'v5'), entry(6, 3, 'v6')] },
      link,
    );

    expect(replica.status()).toMatchObject({ lastSeq: 6, commitSeq: 6 });
    expect(await readValue(replica)).toBe('v6');
    expect(upstream.acks).toEqual([6]);
    expect(replica.store.entryTerm(4)).toBe(2);
  });

  it('a tail that is behind the chain commit point refuses reads until it caught up', async () => {
    const replica = newReplica('n1');
    replica.configure(config(2, ['n2', 'n1']));
    const link = new UpstreamLink() as never;
    replica.onHandshake('n2', link);
    replica.onAppend({ shard: 1, term: 2, commitSeq: 3, entries: [entry(1, 1, 'v1')] }, link);
    await expect(replica.read('k')).rejects.toMatchObject({ code: 'Unavailable', message: /catching up/ });
    replica.onAppend(
      { shard: 1, term: 2, commitSeq: 3, entries: [entry(2, 1, 'v2'), entry(3, 1, 'v3')] },
      link,
    );
    expect(await readValue(replica)).toBe('v3');
  });
});

describe('ShardReplica joining as a middle member (regression, found by the fault suite)', () => {
  function entryOf(seq: number, key: string, value: string): LogEntry {
    return { ...entry(seq, 1, value), key };
  }

  it('serves no read, not even of a clean key, until its predecessor confirmed its log and it caught up', async () => {
    // Seeded (say from a snapshot) with k=v1 committed at seq 1; the chain has since committed seq 3.
    const replica = newReplica('n1', (store) => {
      store.append([entryOf(1, 'k', 'v1')]);
      store.commitFromLog(1);
    });
    // Joined as tail, then made a middle by the next replacement before its predecessor resent a thing.
    replica.configure(config(4, ['n0', 'n1', 'n2']));
    expect(replica.role).toBe('middle');
    await expect(replica.read('k')).rejects.toMatchObject({ code: 'Unavailable', message: /confirm/ });

    const link = new UpstreamLink() as never;
    replica.onHandshake('n0', link);
    replica.onAppend({ shard: 1, term: 4, commitSeq: 3, entries: [entryOf(2, 'x', 'x2')] }, link);
    await expect(replica.read('k')).rejects.toMatchObject({ code: 'Unavailable', message: /catching up/ });

    replica.onAppend({ shard: 1, term: 4, commitSeq: 3, entries: [entryOf(3, 'x', 'x3')] }, link);
    expect(await readValue(replica)).toBe('v1');
  });

  it('passes down the highest commit point it knows, not only its own', () => {
    const replica = newReplica('n1');
    replica.configure(config(2, ['n0', 'n1', 'n2']));
    const link = new UpstreamLink() as never;
    replica.onHandshake('n0', link);
    replica.onAppend(
      { shard: 1, term: 2, commitSeq: 2, entries: [entry(1, 1, 'v1'), entry(2, 1, 'v2')] },
      link,
    );
    // Nothing acked from downstream yet: its own commit point is 0, but 2 is committed upstream.
    expect(replica.commitSeq).toBe(0);
    expect(replica.knownCommitSeq).toBe(2);
  });
});

describe('HeadSequencer across reconfiguration (regression)', () => {
  it('appends what a head assigned before a new term that keeps it head, with no gap', async () => {
    const replica = newReplica('n1');
    replica.configure(config(1, ['n1']));
    const first = replica.sequencer.write({ op: 'put', shard: 1, key: 'a', value: Buffer.from('1') });
    const second = replica.sequencer.write({ op: 'put', shard: 1, key: 'b', value: Buffer.from('2') });
    replica.configure(config(2, ['n1']));
    const third = replica.sequencer.write({ op: 'put', shard: 1, key: 'c', value: Buffer.from('3') });
    const versions = (await Promise.all([first, second, third])).map((result) => result.version);
    expect(versions).toEqual([1, 2, 3]);
    expect(replica.store.entryTerm(2)).toBe(1);
    expect(replica.store.entryTerm(3)).toBe(2);
  });

  it('drops what a deposed head assigned but never appended', async () => {
    const replica = newReplica('n1');
    replica.configure(config(1, ['n1']));
    const write = replica.sequencer.write({ op: 'put', shard: 1, key: 'a', value: Buffer.from('1') });
    replica.configure(config(2, ['n2', 'n1']));
    await new Promise((resolve) => setImmediate(resolve));
    expect(replica.lastSeq).toBe(0);
    replica.configure(config(3, ['n2'])); // leaving the chain fails whoever still waits
    await expect(write).rejects.toMatchObject({ code: 'Unavailable' });
  });
});
