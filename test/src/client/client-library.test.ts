import {
  ConditionFailed,
  InvalidRequest,
  type KeyEvent,
  NotFound,
  StarClient,
  Unavailable,
} from '@star/client';
import { StarCluster, waitFor } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let cluster: StarCluster;
let client: StarClient;
const MAX_VALUE = 32 * 1024;

beforeAll(async () => {
  cluster = await StarCluster.start({
    managers: 1,
    nodes: 3,
    env: { STAR_MAX_VALUE_BYTES: String(MAX_VALUE) },
  });
  await cluster.waitForNodes(3);
  const { url } = await cluster.leader();
  await cluster.api(url, 'POST', '/v1/namespaces', { name: 'app', shards: 4, replicationFactor: 3 });
  await cluster.api(url, 'POST', '/v1/namespaces', { name: 'feed', shards: 3, replicationFactor: 3 });
  client = await StarClient.connect({ managers: cluster.managerUrls, apiKey: cluster.adminKey, lingerMs: 2 });
});
afterAll(async () => {
  client?.close();
  await cluster?.stop();
});

const text = (value: Uint8Array) => Buffer.from(value).toString();

describe('put, get and delete', () => {
  it('round-trips values with their content type and record metadata', async () => {
    const written = await client.put('app', 'user/1', '{"name":"ada"}', { contentType: 'application/json' });
    expect(written.modifications).toBe(1);
    const record = await client.get('app', 'user/1');
    expect(text(record.value)).toBe('{"name":"ada"}');
    expect(record).toMatchObject({
      key: 'user/1',
      contentType: 'application/json',
      version: written.version,
      createdAt: written.createdAt,
      modifications: 1,
    });
    const bytes = new Uint8Array([0, 255, 7]);
    await client.put('app', 'bin', bytes);
    expect((await client.get('app', 'bin')).value).toEqual(bytes);
  });

  it('conditional writes: expected version and create-only, with ConditionFailed naming the current version', async () => {
    const first = await client.put('app', 'counter', '1', { createOnly: true });
    await expect(client.put('app', 'counter', 'x', { createOnly: true })).rejects.toBeInstanceOf(
      ConditionFailed,
    );
    const second = await client.put('app', 'counter', '2', { expectedVersion: first.version });
    expect(second.modifications).toBe(2);
    const stale = await client.put('app', 'counter', '3', { expectedVersion: first.version }).catch((e) => e);
    expect(stale).toBeInstanceOf(ConditionFailed);
    expect((stale as ConditionFailed).currentVersion).toBe(second.version);
    expect(stale.code).toBe('PreconditionFailed');
    expect(text((await client.get('app', 'counter')).value)).toBe('2');
  });

  it('deletes with and without an expected version; NotFound for missing keys', async () => {
    const written = await client.put('app', 'temp', 't');
    await expect(
      client.delete('app', 'temp', { expectedVersion: written.version - 1 }),
    ).rejects.toBeInstanceOf(ConditionFailed);
    await client.delete('app', 'temp', { expectedVersion: written.version });
    await expect(client.get('app', 'temp')).rejects.toBeInstanceOf(NotFound);
    await expect(client.delete('app', 'temp')).rejects.toBeInstanceOf(NotFound);
  });

  it('a partition key picks the shard instead of the key', async () => {
    await client.put('app', 'invoice-9', 'i9', { partitionKey: 'tenant-3' });
    expect(text((await client.get('app', 'invoice-9', { partitionKey: 'tenant-3' })).value)).toBe('i9');
  });

  it('bad input and unknown namespaces get typed errors', async () => {
    await expect(client.put('app', 'k'.repeat(1025), 'x')).rejects.toBeInstanceOf(InvalidRequest);
    await expect(client.put('app', 'big', new Uint8Array(MAX_VALUE + 1))).rejects.toBeInstanceOf(
      InvalidRequest,
    );
    await expect(client.get('nowhere', 'k')).rejects.toBeInstanceOf(NotFound);
    await expect(client.list('app', { limit: 0 })).rejects.toBeInstanceOf(InvalidRequest);
    await expect(client.list('app', { cursor: 'forged' })).rejects.toBeInstanceOf(InvalidRequest);
    await expect(client.watch('app', { cursor: 'forged' })).rejects.toBeInstanceOf(InvalidRequest);
  });
});

describe('batching', () => {
  it('concurrent calls go to nodes in shared batches, each keeping its own outcome', async () => {
    const batchesBefore = await nodeBatchFrames();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => client.put('app', `batched/${i}`, `v${i}`)),
    );
    expect(results).toHaveLength(200);
    for (const result of results) expect(result.version).toBeGreaterThan(0);
    const batches = (await nodeBatchFrames()) - batchesBefore;
    // 200 puts over 4 shards' heads: far fewer frames than calls, more than one per head.
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThan(100);
    const values = await Promise.all(
      Array.from({ length: 200 }, (_, i) => client.get('app', `batched/${i}`)),
    );
    expect(values.map((record) => text(record.value))).toEqual(results.map((_, i) => `v${i}`));
  });

  it('batch(): operations in order per key, each with its own result or typed error', async () => {
    const outcomes = await client.batch('app', [
      { op: 'put', key: 'b/x', value: '1' },
      { op: 'get', key: 'b/x' },
      { op: 'put', key: 'b/x', value: '2', options: { createOnly: true } },
      { op: 'delete', key: 'b/none' },
      { op: 'delete', key: 'b/x' },
      { op: 'get', key: 'b/x' },
    ]);
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true, false, false, true, false]);
    expect(outcomes[2]).toMatchObject({ ok: false });
    if (!outcomes[2]!.ok) expect(outcomes[2]!.error).toBeInstanceOf(ConditionFailed);
    if (!outcomes[3]!.ok) expect(outcomes[3]!.error).toBeInstanceOf(NotFound);
    if (outcomes[1]!.ok) expect(text((outcomes[1]!.result as { value: Uint8Array }).value)).toBe('1');
  });
});

describe('list and scan', () => {
  beforeAll(async () => {
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => client.put('app', `scan/${String(i).padStart(2, '0')}`, `s${i}`)),
    );
  });

  it('lists pages in key order across shards and scans everything as an async iterator', async () => {
    const first = await client.list('app', { prefix: 'scan/', limit: 7 });
    expect(first.records.map((record) => record.key)).toEqual(
      Array.from({ length: 7 }, (_, i) => `scan/${String(i).padStart(2, '0')}`),
    );
    expect(first.cursor).toBeDefined();
    const second = await client.list('app', { prefix: 'scan/', limit: 7, cursor: first.cursor! });
    expect(second.records[0]!.key).toBe('scan/07');

    const keys: string[] = [];
    for await (const record of client.scan('app', { prefix: 'scan/', limit: 4, values: true })) {
      keys.push(record.key);
      expect(text(record.value!)).toBe(`s${Number(record.key.slice(5))}`);
    }
    expect(keys).toHaveLength(30);
    expect([...keys].sort()).toEqual(keys);

    const range = await client.list('app', { start: 'scan/10', end: 'scan/13' });
    expect(range.records.map((record) => record.key)).toEqual(['scan/10', 'scan/11', 'scan/12']);
    expect(range.cursor).toBeUndefined();
  });
});

describe('watch', () => {
  it('delivers created, modified and deleted in commit order, and resumes after a cursor', async () => {
    const watch = await client.watch('feed', { prefix: 'w/' });
    const events: KeyEvent[] = [];
    const collecting = (async () => {
      for await (const event of watch) events.push(event);
    })();
    await client.put('feed', 'w/a', 'a1');
    await client.put('feed', 'w/a', 'a2');
    await client.put('feed', 'other', 'ignored');
    await client.put('feed', 'w/b', 'b1');
    await client.delete('feed', 'w/a');
    await waitFor(() => events.length >= 4, { description: '4 watch events', timeoutMs: 5_000 });
    watch.close();
    await collecting;
    const forA = events.filter((event) => event.key === 'w/a');
    expect(forA.map((event) => event.type)).toEqual(['created', 'modified', 'deleted']);
    expect(text(forA[1]!.value!)).toBe('a2');
    expect(events.some((event) => event.key === 'other')).toBe(false);
    expect(events.find((event) => event.key === 'w/b')?.type).toBe('created');

    // Resume right after the first event: exactly the rest, once.
    const resumed = await client.watch('feed', { prefix: 'w/', cursor: events[0]!.cursor });
    const again: KeyEvent[] = [];
    const rest = (async () => {
      for await (const event of resumed) again.push(event);
    })();
    await waitFor(() => again.length >= 3, { description: 'resumed events', timeoutMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    resumed.close();
    await rest;
    // Order is defined per key (shards commit independently): compare each key's sequence.
    const perKey = (list: KeyEvent[]) =>
      [...new Set(list.map((event) => event.key))]
        .sort()
        .map(
          (key) =>
            `${key}: ${list.filter((event) => event.key === key).map((event) => `${event.type}@${event.version}`)}`,
        );
    expect(perKey(again)).toEqual(perKey(events.slice(1)));
  });
});

describe('failures', () => {
  it('reports Unavailable once its deadline passes with no live replica', async () => {
    const impatient = await StarClient.connect({
      managers: cluster.managerUrls,
      apiKey: cluster.adminKey,
      requestTimeoutMs: 1_500,
    });
    try {
      for (const node of cluster.nodes.values()) node.process.pause();
      const started = Date.now();
      const error = await impatient.get('app', 'user/1').catch((e) => e);
      expect(error).toBeInstanceOf(Unavailable);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    } finally {
      for (const node of cluster.nodes.values()) node.process.resume();
      impatient.close();
    }
  });

  it('refuses to connect without a shard map', async () => {
    await expect(
      StarClient.connect({ managers: ['http://127.0.0.1:1'], requestTimeoutMs: 500 }),
    ).rejects.toMatchObject({ code: 'Unavailable' });
  });
});

async function nodeBatchFrames(): Promise<number> {
  let total = 0;
  for (const node of cluster.nodes.values()) {
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    for (const line of metrics.split('\n')) {
      if (line.startsWith('star_node_op_duration_seconds_count') && line.includes('op="batch"'))
        total += Number(line.split(' ').at(-1));
    }
  }
  return total;
}
