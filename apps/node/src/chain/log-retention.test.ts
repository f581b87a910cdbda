import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { ShardDirectory } from '../storage/shard-directory.js';
import { LogTrimmedError } from '../storage/shard-store.js';
import { LogRetention } from './log-retention.js';
import { ReplicaSet } from './replica-set.js';
import { replicaTestContext } from './testing/replica-context.js';

const logger = pino({ level: 'silent' });
let dir: string;
let replicas: ReplicaSet;
afterEach(() => {
  replicas.close();
  rmSync(dir, { recursive: true, force: true });
});

it('trims committed entries beyond the kept tail and never uncommitted ones', async () => {
  dir = mkdtempSync(join(tmpdir(), 'star-retention-'));
  const directory = new ShardDirectory(dir);
  replicas = new ReplicaSet({
    context: replicaTestContext('n1'),
    openStore: (shard) => directory.open(shard),
    existing: [],
  });
  await replicas.configure({ shard: 1, term: 1, chain: [{ id: 'n1', address: 'n1:1' }] });
  const replica = replicas.get(1);
  await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      replica.sequencer.write({ op: 'put', shard: 1, key: `k${i}`, value: Buffer.from('v') }),
    ),
  );
  const retention = new LogRetention(replicas, { keepTail: 10, logger });
  expect(retention.pass()).toBe(90);
  expect(replica.store.firstLogSeq).toBe(91);
  expect(() => replica.store.readLog(50, 10)).toThrow(LogTrimmedError);
  expect(replica.store.readLog(91, 100)).toHaveLength(10);
  expect(retention.pass()).toBe(0);
  // The records themselves stay: only the log behind the commit point is trimmed.
  expect(replica.store.getCommitted('k0')).toBeDefined();
});
