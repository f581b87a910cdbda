import { ManagerKeys } from '@star/protocol';
import { type RedisServer, startRedis, waitFor } from '@star/testkit';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../journal/index.js';
import type { MetadataEntry } from './journal-entries.js';
import { MetadataStore } from './metadata-store.js';

describe('MetadataStore and malformed journal entries', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({});
  });
  afterAll(() => server?.stop());

  it('logs and skips an entry that is not JSON or not a metadata entry, and folds the rest', async () => {
    const admin = server.client();
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(line) });
    const namespace = { name: 'ns', shards: 1, replicationFactor: 1 };
    // Written straight into the stream (as a bug or a hand edit could): bad JSON, a bad shape, a good entry.
    await admin.xadd(ManagerKeys.journal, '*', 'e', '{not json', 't', '1');
    await admin.xadd(
      ManagerKeys.journal,
      '*',
      'e',
      JSON.stringify({ type: 'node.state', data: {} }),
      't',
      '1',
    );
    const good: MetadataEntry = {
      type: 'namespace.created',
      data: { namespace, shards: [], nextShardId: 7 },
    };
    await admin.xadd(ManagerKeys.journal, '*', 'e', JSON.stringify(good), 't', '1');
    const store = new MetadataStore(new Journal<MetadataEntry>({ redis: server.client() }), logger);
    await store.start();
    try {
      await waitFor(() => store.state.entriesApplied === 3, { description: 'three entries read' });
      expect(store.state.namespaces.get('ns')).toEqual(namespace);
      expect(store.state.nextShardId).toBe(7);
      const skipped = lines
        .map((line) => JSON.parse(line))
        .filter((line) => line.msg === 'journal entry malformed; skipped');
      expect(skipped).toHaveLength(2);
      expect(skipped[1].problem).toMatch(/\/data/);
      // A later, valid entry arriving through the tail is still applied.
      await admin.xadd(
        ManagerKeys.journal,
        '*',
        'e',
        JSON.stringify({ type: 'namespace.deleted', data: { name: 'ns' } }),
        't',
        '1',
      );
      await waitFor(() => !store.state.namespaces.has('ns'), { description: 'the deletion folded in' });
    } finally {
      store.stop();
      admin.disconnect();
    }
  });

  it('rides out a failing Redis command while applying a batch from the tail (before: an unhandled rejection crashed the manager)', async () => {
    const admin = server.client();
    await admin.del(ManagerKeys.journal);
    const redis = server.client();
    const store = new MetadataStore(new Journal<MetadataEntry>({ redis }), pino({ level: 'silent' }));
    await store.start();
    const crashes: unknown[] = [];
    const onRejection = (reason: unknown) => crashes.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      // The tail reads on its own connection; the store's checks use this one, closed here.
      redis.disconnect();
      const created: MetadataEntry = {
        type: 'namespace.created',
        data: { namespace: { name: 'late', shards: 1, replicationFactor: 1 }, shards: [], nextShardId: 9 },
      };
      await admin.xadd(ManagerKeys.journal, '*', 'e', JSON.stringify(created), 't', '1');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(crashes).toEqual([]);
      await redis.connect();
      await waitFor(() => store.state.namespaces.has('late'), {
        description: 'the batch applied once Redis answers',
      });
    } finally {
      process.off('unhandledRejection', onRejection);
      store.stop();
      admin.disconnect();
      redis.disconnect();
    }
  });
});
