import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChainConfig, type LogEntry, StarError } from '@star/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ShardStore } from '../storage/shard-store.js';
import { type ReplicaContext, ShardReplica } from './shard-replica.js';
import { InProcessNetwork, settle } from './testing/in-process-chain.js';
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

function newReplica(
  nodeId: string,
  prepare?: (store: ShardStore) => void,
  context: Partial<ReplicaContext> = {},
): ShardReplica {
  const dir = mkdtempSync(join(tmpdir(), 'star-replica-'));
  dirs.push(dir);
  const store = ShardStore.open(join(dir, 'shard-1.sqlite'));
  prepare?.(store);
  const replica = new ShardReplica(1, store, replicaTestContext(nodeId, context));
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

describe('HeadSequencer on a full disk (issue 14)', () => {
  it('fails the writers of a batch that could not be stored with InsufficientStorage and assigns its seqs again', async () => {
    let full = false;
    const replica = newReplica('n1', undefined, { storageFull: () => full });
    replica.configure(config(1, ['n1']));
    const store = replica.store;
    const appendAndCommit = store.appendAndCommit.bind(store);
    // What the store throws when SQLite reports SQLITE_FULL (it rolled the transaction back).
    store.appendAndCommit = () => {
      throw new StarError(
        'InsufficientStorage',
        'this node cannot persist shard data: database or disk is full',
      );
    };
    const a = replica.sequencer.write({ op: 'put', shard: 1, key: 'a', value: Buffer.from('1') });
    const b = replica.sequencer.write({ op: 'put', shard: 1, key: 'b', value: Buffer.from('2') });
    await expect(a).rejects.toMatchObject({ code: 'InsufficientStorage' });
    await expect(b).rejects.toMatchObject({ code: 'InsufficientStorage' });
    expect(replica.lastSeq).toBe(0);

    store.appendAndCommit = appendAndCommit;
    const c = await replica.sequencer.write({ op: 'put', shard: 1, key: 'c', value: Buffer.from('3') });
    expect(c.version).toBe(1);
    expect(replica.store.getCommitted('c')?.version).toBe(1);
    expect(replica.store.getCommitted('a')).toBeUndefined();

    full = true;
    await expect(
      replica.sequencer.write({ op: 'put', shard: 1, key: 'd', value: Buffer.from('4') }),
    ).rejects.toMatchObject({ code: 'InsufficientStorage' });
  });
});

describe('commit knowledge and confirmation across hops (DESIGN §3.13)', () => {
  /** A replica on `network`, reachable from the others there as `${nodeId}:1`. */
  function networked(network: InProcessNetwork, nodeId: string, prepare?: (store: ShardStore) => void) {
    const replica = newReplica(nodeId, prepare, { peers: network.peersOf(nodeId) });
    network.register(nodeId, replica);
    return replica;
  }

  it('a new tail behind a middle that is still catching up serves nothing below the chain commit point', async () => {
    const network = new InProcessNetwork();
    const middle = networked(network, 'm');
    const tail = networked(network, 'n');
    // Term 2: m joined behind h, which has committed seqs 1..5; m holds 1..2 so far.
    middle.configure(config(2, ['h', 'm']));
    const fromHead2 = new UpstreamLink() as never;
    middle.onHandshake('h', fromHead2);
    middle.onAppend(
      { shard: 1, term: 2, commitSeq: 5, entries: [entry(1, 1, 'v1'), entry(2, 1, 'v2')] },
      fromHead2,
    );
    expect(middle.knownCommitSeq).toBe(5);

    // Term 3: n joins behind m, and h's cursor has not reached m at the new term yet (a slow link).
    tail.configure(config(3, ['h', 'm', 'n']));
    middle.configure(config(3, ['h', 'm', 'n']));
    await settle();
    await expect(tail.read('k')).rejects.toMatchObject({ code: 'Unavailable' });
    expect(middle.knownCommitSeq).toBe(5);
    // m's own log is not confirmed at term 3: it sends n nothing, not even the handshake.
    expect(network.sent).toEqual([]);

    // h confirms m at term 3; the confirmation flows on to n with the entries.
    const fromHead3 = new UpstreamLink();
    middle.onHandshake('h', fromHead3 as never);
    middle.onAppend(
      { shard: 1, term: 3, commitSeq: 5, entries: [entry(3, 1, 'v3'), entry(4, 1, 'v4'), entry(5, 1, 'v5')] },
      fromHead3 as never,
    );
    await settle();
    expect(tail.status()).toMatchObject({ lastSeq: 5, commitSeq: 5 });
    expect(await readValue(tail)).toBe('v5');
    expect(middle.commitSeq).toBe(5);
    expect(fromHead3.acks).toContain(5);
  });

  it('keeps the chain commit point it learned across terms and restarts, though the predecessor knows less', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'star-replica-'));
    dirs.push(dir);
    const path = join(dir, 'shard-1.sqlite');
    const first = new ShardReplica(1, ShardStore.open(path), replicaTestContext('m'));
    // Behind t, the tail, which had committed 5 (and served reads of it); m holds 1..2.
    first.configure(config(2, ['h', 't', 'm']));
    const fromT = new UpstreamLink() as never;
    first.onHandshake('t', fromT);
    first.onAppend(
      { shard: 1, term: 2, commitSeq: 5, entries: [entry(1, 1, 'v1'), entry(2, 1, 'v2')] },
      fromT,
    );
    first.close();

    // t died; m restarted and rejoins [h, m], and h's acks from t were still on their way (h knows 3).
    const replica = new ShardReplica(1, ShardStore.open(path), replicaTestContext('m'));
    replicas.push(replica);
    replica.configure(config(3, ['h', 'm']));
    expect(replica.knownCommitSeq).toBe(5);
    const fromH = new UpstreamLink() as never;
    replica.onHandshake('h', fromH);
    replica.onAppend({ shard: 1, term: 3, commitSeq: 3, entries: [entry(3, 1, 'v3')] }, fromH);
    await expect(replica.read('k')).rejects.toMatchObject({
      code: 'Unavailable',
      message: /catching up \(3\/5\)/,
    });
    replica.onAppend(
      { shard: 1, term: 3, commitSeq: 3, entries: [entry(4, 1, 'v4'), entry(5, 1, 'v5')] },
      fromH,
    );
    expect(await readValue(replica)).toBe('v5');
  });

  it('an old head rejoining as a middle passes none of its never-committed suffix to a new tail', async () => {
    const network = new InProcessNetwork();
    // b holds the real history: seqs 1..3 of term 1, then 4..6 that b wrote as head at term 2.
    const head = networked(network, 'b', (store) => {
      store.append([entry(1, 1, 'v1'), entry(2, 1, 'v2'), entry(3, 1, 'v3')]);
      store.append([entry(4, 2, 'v4'), entry(5, 2, 'v5'), entry(6, 2, 'v6')]);
      store.commitFromLog(6);
    });
    // a is the old head: it appended seqs 4 and 5 at term 1 and died before forwarding them.
    const oldHead = networked(network, 'a', (store) => {
      store.append([
        entry(1, 1, 'v1'),
        entry(2, 1, 'v2'),
        entry(3, 1, 'v3'),
        entry(4, 1, 'lost4'),
        entry(5, 1, 'lost5'),
      ]);
      store.commitFromLog(3);
    });
    const newTail = networked(network, 'x');

    // Term 3: [b, a, x]. a and x hear of it before b does (b's configure call is slow).
    oldHead.configure(config(3, ['b', 'a', 'x']));
    newTail.configure(config(3, ['b', 'a', 'x']));
    await settle();
    await expect(newTail.read('k')).rejects.toMatchObject({ code: 'Unavailable' });
    expect(newTail.status()).toMatchObject({ lastSeq: 0, commitSeq: 0 });
    expect(oldHead.commitSeq).toBe(3);

    // b's handshake truncates a's diverged suffix, then its first append confirms a, and a streams on.
    head.configure(config(3, ['b', 'a', 'x']));
    await settle();
    expect(network.sent.slice(0, 3)).toEqual([
      'b→a chain.handshake',
      'b→a chain.truncate',
      'b→a chain.handshake',
    ]);
    expect(network.sent.indexOf('a→x chain.handshake')).toBeGreaterThan(
      network.sent.indexOf('b→a chain.append'),
    );
    expect(oldHead.store.entryTerm(4)).toBe(2);
    expect(newTail.status()).toMatchObject({ lastSeq: 6, commitSeq: 6 });
    expect(await readValue(newTail)).toBe('v6');

    // The shard still commits.
    const write = await head.sequencer.write({ op: 'put', shard: 1, key: 'k', value: Buffer.from('v7') });
    expect(write.version).toBe(7);
    expect(await readValue(newTail)).toBe('v7');
  });
});
