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

function newReplica(nodeId: string, path?: string): { replica: ShardReplica; path: string } {
  const file = path ?? join(mkdtempSync(join(tmpdir(), 'star-fencing-')), 'shard-1.sqlite');
  if (path === undefined) dirs.push(join(file, '..'));
  const replica = new ShardReplica(1, ShardStore.open(file), replicaTestContext(nodeId));
  replicas.push(replica);
  return { replica, path: file };
}

function config(term: number, chain: string[], extra: Partial<ChainConfig> = {}): ChainConfig {
  return { shard: 1, term, chain: chain.map((id) => ({ id, address: `${id}:1` })), ...extra };
}

function entry(seq: number, value: string): LogEntry {
  return {
    seq,
    term: 1,
    op: 'put',
    key: 'k',
    value: Buffer.from(value),
    createdAt: 1,
    modifiedAt: seq,
    modifications: seq,
  };
}

class UpstreamLink extends EventEmitter {
  closed = false;
  async notify() {}
}

describe('configuration fencing tokens (DESIGN §3.12)', () => {
  it('refuses a configuration whose token is older than the one held, also after a restart', () => {
    const { replica, path } = newReplica('n1');
    replica.configure(config(5, ['n1', 'n2'], { token: 7 }));
    // A deposed leader (token 6) publishing a newer term.
    expect(() => replica.configure(config(6, ['n1', 'n2', 'n3'], { token: 6 }))).toThrow(/fencing token 6/);
    expect(replica.term).toBe(5);
    replica.close();
    replicas.splice(replicas.indexOf(replica), 1);
    const reopened = newReplica('n1', path).replica;
    expect(reopened.config?.token).toBe(7);
    expect(() => reopened.configure(config(6, ['n1'], { token: 6 }))).toThrow(/fencing token/);
    expect(reopened.configure(config(6, ['n1'], { token: 8 }))).toEqual({ term: 6 });
  });

  it('accepts configurations stored before tokens existed (no token: 0)', () => {
    const { replica } = newReplica('n1');
    replica.configure(config(1, ['n1']));
    expect(replica.configure(config(2, ['n1'], { token: 1 }))).toEqual({ term: 2 });
  });
});

describe('a tail under a commit hold (ChainConfig.holdMs)', () => {
  it('commits nothing, and shows nothing uncommitted, until the hold has passed', async () => {
    const { replica } = newReplica('n2');
    replica.configure(config(3, ['n1', 'n2'], { holdMs: 400 }));
    const link = new UpstreamLink() as never;
    replica.onHandshake('n1', link);
    replica.onAppend({ shard: 1, term: 3, commitSeq: 0, entries: [entry(1, 'v1')] }, link);
    expect(replica.commitSeq).toBe(0);
    expect(replica.tailCommitSeq().commitSeq).toBe(0);
    const early = await replica.read('k');
    expect(early.found).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(replica.commitSeq).toBe(1);
    const late = await replica.read('k');
    expect(late.found && Buffer.from(late.value).toString()).toBe('v1');
  });

  it('commits at once without a hold', () => {
    const { replica } = newReplica('n2');
    replica.configure(config(3, ['n1', 'n2']));
    const link = new UpstreamLink() as never;
    replica.onHandshake('n1', link);
    replica.onAppend({ shard: 1, term: 3, commitSeq: 0, entries: [entry(1, 'v1')] }, link);
    expect(replica.commitSeq).toBe(1);
  });
});
