import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChainConfig, LogEntry } from '@star/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ShardStore } from '../storage/shard-store.js';
import { ShardReplica } from './shard-replica.js';
import { replicaTestContext } from './testing/replica-context.js';

const dirs: string[] = [];
const replicas: ShardReplica[] = [];
afterEach(() => {
  for (const replica of replicas.splice(0)) replica.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function config(term: number, chain: string[]): ChainConfig {
  return { shard: 1, term, chain: chain.map((id) => ({ id, address: `${id}:1` })) };
}

function entry(seq: number, term: number): LogEntry {
  return {
    seq,
    term,
    op: 'put',
    key: 'k',
    value: Buffer.from(`v${seq}`),
    createdAt: 1,
    modifiedAt: seq,
    modifications: seq,
  };
}

/** A store as an earlier incarnation left it: head of term 4, three entries committed. */
function earlierIncarnation(): string {
  const dir = mkdtempSync(join(tmpdir(), 'star-fence-'));
  dirs.push(dir);
  const path = join(dir, 'shard-1.sqlite');
  const store = ShardStore.open(path);
  store.saveConfig(config(4, ['n1', 'n2', 'n3']));
  store.append([entry(1, 4), entry(2, 4), entry(3, 4)]);
  store.commitFromLog(3);
  store.close();
  return path;
}

function reopen(path: string, restarted: boolean): ShardReplica {
  const replica = new ShardReplica(1, ShardStore.open(path), replicaTestContext('n1'), { restarted });
  replicas.push(replica);
  return replica;
}

describe('a replica reopened by a new incarnation (DESIGN §3.14)', () => {
  it('takes no part at its saved term: no writes, no reads, no handshake, no truncation', async () => {
    const replica = reopen(earlierIncarnation(), true);
    expect(replica.status()).toMatchObject({ term: 4, role: 'none', lastSeq: 3, commitSeq: 3 });
    await expect(
      replica.sequencer.write({ op: 'put', shard: 1, key: 'k', value: Buffer.from('x') }),
    ).rejects.toMatchObject({ code: 'MisdirectedRequest' });
    await expect(replica.read('k')).rejects.toMatchObject({ code: 'MisdirectedRequest' });
    expect(() => replica.onHandshake('n0', new EventEmitter() as never)).toThrow(/not the predecessor/);
    expect(() => replica.onTruncate(0)).toThrow(/serves no replica/);
    expect(replica.lastSeq).toBe(3);
    // A configuration of the same term changes nothing: it waits for a newer one.
    replica.configure(config(4, ['n1', 'n2', 'n3']));
    expect(replica.role).toBe('none');
  });

  it('re-enters its chain with a configuration of a higher term', () => {
    const replica = reopen(earlierIncarnation(), true);
    replica.configure(config(5, ['n2', 'n3', 'n1']));
    expect(replica.status()).toMatchObject({ term: 5, role: 'tail' });
  });

  it('a store reopened within one incarnation (a snapshot rebuild) keeps its role', () => {
    const replica = reopen(earlierIncarnation(), false);
    expect(replica.status()).toMatchObject({ term: 4, role: 'head' });
  });

  it('does not act on a configuration naming an earlier incarnation (its saved term was lost with the WAL)', () => {
    const path = earlierIncarnation();
    const replica = new ShardReplica(
      1,
      ShardStore.open(path),
      replicaTestContext('n1', { incarnation: 'now' }),
      {
        restarted: true,
      },
    );
    replicas.push(replica);
    const named = (term: number, incarnation: string): ChainConfig => ({
      shard: 1,
      term,
      chain: [
        { id: 'n1', address: 'n1:1', incarnation },
        { id: 'n2', address: 'n2:1' },
      ],
    });
    // Term 5 was published for the process before the restart: the power loss took its saved copy.
    replica.configure(named(5, 'before'));
    expect(replica.status()).toMatchObject({ term: 5, role: 'none' });
    replica.configure(named(6, 'now'));
    expect(replica.status()).toMatchObject({ term: 6, role: 'head' });
  });
});
