import type { CreatedApiKey, Namespace } from '@star/protocol';
import { freePort, type RunningService, StarCluster } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunningStar, star } from './run-star.js';

// One cluster for the file: 2 managers (so a follower answers 421), 2 nodes, a gateway.
let cluster: StarCluster;
let gateway: RunningService;
let leaderUrl: string;
let followerUrl: string;
/** --gateway and --key for `star kv`, as flags. */
let kvFlags: string[];
const running: RunningStar[] = [];

beforeAll(async () => {
  cluster = await StarCluster.start({ managers: 2, nodes: 2 });
  await cluster.waitForNodes(2);
  const leader = await cluster.leader();
  leaderUrl = leader.url;
  followerUrl = [...cluster.managers.entries()].find(([id]) => id !== leader.id)![1].url;
  await cluster.api(leaderUrl, 'POST', '/v1/namespaces', { name: 'kv', shards: 3, replicationFactor: 2 });
  // A short KV deadline, so the last test's dead cluster answers 503 quickly.
  gateway = await cluster.startGateway('g1', { STAR_KV_TIMEOUT_MS: '1500' });
  kvFlags = ['--gateway', gateway.url, '--key', cluster.adminKey];
});
afterAll(async () => {
  for (const process of running) process.kill();
  await cluster?.stop();
});

async function createKey(scopes: string[]): Promise<string> {
  const created = await cluster.api<CreatedApiKey>(gateway.url, 'POST', '/v1/admin/keys', {
    name: `cli-${scopes.join('+')}`,
    scopes,
  });
  return created.key;
}

function watch(args: string[], env: Record<string, string> = {}): RunningStar {
  const process = new RunningStar(['kv', 'watch', ...args], env);
  running.push(process);
  return process;
}

describe('star ns (against the managers)', () => {
  it('creates a namespace through a follower, following its 421 to the leader', async () => {
    const created = await star([
      'ns',
      'create',
      'orders',
      '--shards',
      '4',
      '--rf',
      '2',
      '--manager',
      followerUrl,
      '--key',
      cluster.adminKey,
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^NAME\s+SHARDS\s+RF\norders\s+4\s+2\n\nSHARD\s+HASH RANGE/);
    expect(created.stdout.match(/^\d+\s+\d+-\d+\s+\d+\s+\w+\s+n\d -> n\d$/gm)).toHaveLength(4);
    const stored = await cluster.api<{ namespace: Namespace; shards: unknown[] }>(
      leaderUrl,
      'GET',
      '/v1/namespaces/orders',
    );
    expect(stored.namespace).toEqual({ name: 'orders', shards: 4, replicationFactor: 2 });
    expect(stored.shards).toHaveLength(4);
  });

  it('creates with --json (env for manager and key), lists and shows namespaces', async () => {
    const env = { STAR_MANAGER_URL: leaderUrl, STAR_API_KEY: cluster.adminKey };
    const created = await star(['ns', 'create', 'events', '--shards', '2', '--rf', '1', '--json'], { env });
    expect(created.code, created.stderr).toBe(0);
    const json = JSON.parse(created.stdout) as { namespace: Namespace; shards: { chain: string[] }[] };
    expect(json.namespace).toEqual({ name: 'events', shards: 2, replicationFactor: 1 });
    expect(json.shards.map((shard) => shard.chain.length)).toEqual([1, 1]);

    const listed = await star(['ns', 'list'], { env });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^NAME\s+SHARDS\s+RF$/m);
    expect(listed.stdout).toMatch(/^events\s+2\s+1$/m);
    expect(listed.stdout).toMatch(/^kv\s+3\s+2$/m);
    const names = JSON.parse((await star(['ns', 'list', '--json'], { env })).stdout) as Namespace[];
    expect(names.map((ns) => ns.name)).toEqual(expect.arrayContaining(['events', 'kv', 'orders']));

    const shown = await star(['ns', 'show', 'kv'], { env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^SHARD\s+HASH RANGE\s+TERM\s+STATUS\s+CHAIN \(HEAD FIRST\)$/m);
    // Three shards, each a chain of the two nodes.
    expect(shown.stdout.match(/^\d+\s+\d+-\d+\s+\d+\s+\w+\s+n\d -> n\d$/gm)).toHaveLength(3);
  });

  it('refuses bad input with exit 1 naming the problem, creating nothing', async () => {
    const flags = ['--manager', leaderUrl, '--key', cluster.adminKey];
    const duplicate = await star(['ns', 'create', 'orders', '--shards', '1', ...flags]);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/409 Conflict: namespace orders already exists/);

    const badName = await star(['ns', 'create', 'Bad Name!', '--shards', '1', ...flags]);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toMatch(/400 BadRequest/);

    const noShards = await star(['ns', 'create', 'x', ...flags]);
    expect(noShards.code).toBe(1);
    expect(noShards.stderr).toMatch(/--shards/);
    const zeroShards = await star(['ns', 'create', 'x', '--shards', '0', ...flags]);
    expect(zeroShards.code).toBe(1);
    expect(zeroShards.stderr).toMatch(/number >= 1/);

    const missing = await star(['ns', 'show', 'nope', ...flags]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/404 NotFound: no namespace nope/);

    const names = (JSON.parse((await star(['ns', 'list', '--json', ...flags])).stdout) as Namespace[]).map(
      (ns) => ns.name,
    );
    expect(names).not.toContain('x');
    expect(names).not.toContain('Bad Name!');
  });

  it('refuses a change without a key (401) or without admin (403), exit 1', async () => {
    const withoutKey = await star(['ns', 'create', 'x', '--shards', '1', '--manager', leaderUrl]);
    expect(withoutKey.code).toBe(1);
    expect(withoutKey.stderr).toMatch(/401 Unauthorized/);
    const reader = await createKey(['read:*']);
    const forbidden = await star(['ns', 'delete', 'orders', '--manager', followerUrl, '--key', reader]);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(/403 Forbidden/);
    // A read-only key may still list.
    expect((await star(['ns', 'list', '--manager', followerUrl, '--key', reader])).code).toBe(0);
  });

  it('deletes through a follower: exit 0, then show and a second delete exit 1 with 404', async () => {
    const flags = ['--manager', followerUrl, '--key', cluster.adminKey];
    const deleted = await star(['ns', 'delete', 'events', ...flags]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe('deleted events\n');
    const shown = await star(['ns', 'show', 'events', ...flags]);
    expect(shown.code).toBe(1);
    expect(shown.stderr).toMatch(/404/);
    const again = await star(['ns', 'delete', 'events', ...flags]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/404 NotFound/);
  });

  it('exits 2 when the manager cannot be reached', async () => {
    const result = await star(['ns', 'list', '--manager', `http://127.0.0.1:${await freePort()}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /star ns: cannot reach the manager at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
    );
  });
});

describe('star kv put / get / delete', () => {
  it('puts a value given as an argument and gets it back as raw bytes', async () => {
    const put = await star(['kv', 'put', 'kv', 'greeting', 'hello, star', ...kvFlags]);
    expect(put.code, put.stderr).toBe(0);
    expect(put.stdout).toMatch(/^kv\/greeting version \d+\n$/);
    const get = await star(['kv', 'get', 'kv', 'greeting', ...kvFlags]);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toBe('hello, star');
  });

  it('puts bytes from stdin with a content type; get --meta prints the version and timestamps', async () => {
    const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff, 10]);
    const before = Date.now();
    const put = await star(
      ['kv', 'put', 'kv', 'blobs/one', '--content-type', 'application/x-star-test', '--json', ...kvFlags],
      { stdin: bytes },
    );
    expect(put.code, put.stderr).toBe(0);
    const written = JSON.parse(put.stdout) as { version: number; createdAt: number; modifications: number };
    expect(written.modifications).toBe(1);
    expect(written.createdAt).toBeGreaterThanOrEqual(before - 1_000);

    const get = await star(['kv', 'get', 'kv', 'blobs/one', ...kvFlags]);
    expect(get.code).toBe(0);
    expect(get.bytes.equals(bytes)).toBe(true);

    const meta = await star(['kv', 'get', 'kv', 'blobs/one', '--meta', ...kvFlags]);
    expect(meta.code).toBe(0);
    expect(JSON.parse(meta.stdout)).toEqual({
      key: 'blobs/one',
      contentType: 'application/x-star-test',
      version: written.version,
      createdAt: written.createdAt,
      modifiedAt: written.createdAt,
      modifications: 1,
    });
  });

  it('--create-only and --if-match: 0 when the condition holds, 1 naming 412 when not', async () => {
    const created = await star(['kv', 'put', 'kv', 'cond', 'v1', '--create-only', '--json', ...kvFlags]);
    expect(created.code, created.stderr).toBe(0);
    const v1 = (JSON.parse(created.stdout) as { version: number }).version;

    const again = await star(['kv', 'put', 'kv', 'cond', 'v1b', '--create-only', ...kvFlags]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^star kv: PUT \/v1\/namespaces\/kv\/keys\/cond failed with 412 PreconditionFailed/,
    );

    const matched = await star(['kv', 'put', 'kv', 'cond', 'v2', '--if-match', String(v1), ...kvFlags]);
    expect(matched.code, matched.stderr).toBe(0);
    const stale = await star(['kv', 'put', 'kv', 'cond', 'v3', '--if-match', String(v1), ...kvFlags]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/412 PreconditionFailed/);
    expect((await star(['kv', 'get', 'kv', 'cond', ...kvFlags])).stdout).toBe('v2');
  });

  it('refuses bad flags before calling anything: exit 1', async () => {
    const both = await star([
      'kv',
      'put',
      'kv',
      'flags',
      'x',
      '--create-only',
      '--if-match',
      '3',
      ...kvFlags,
    ]);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/cannot be used with/);
    const badVersion = await star(['kv', 'put', 'kv', 'flags', 'x', '--if-match', 'latest', ...kvFlags]);
    expect(badVersion.code).toBe(1);
    expect(badVersion.stderr).toMatch(/a version is a whole number/);
    expect((await star(['kv', 'get', 'kv', 'flags', ...kvFlags])).code).toBe(1);
  });

  it('a partition key places the key and is needed to read it back', async () => {
    const put = await star(['kv', 'put', 'kv', 'order-1', 'o1', '--partition-key', 'customer-7', ...kvFlags]);
    expect(put.code, put.stderr).toBe(0);
    const get = await star(['kv', 'get', 'kv', 'order-1', '--partition-key', 'customer-7', ...kvFlags]);
    expect(get.stdout).toBe('o1');
    const deleted = await star([
      'kv',
      'delete',
      'kv',
      'order-1',
      '--partition-key',
      'customer-7',
      ...kvFlags,
    ]);
    expect(deleted.code, deleted.stderr).toBe(0);
  });

  it('deletes: stale --if-match exits 1 (412) and keeps the key; then 0; then 1 (404)', async () => {
    const put = JSON.parse((await star(['kv', 'put', 'kv', 'gone', 'x', '--json', ...kvFlags])).stdout) as {
      version: number;
    };
    const stale = await star([
      'kv',
      'delete',
      'kv',
      'gone',
      '--if-match',
      String(put.version - 1),
      ...kvFlags,
    ]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/412 PreconditionFailed/);
    expect((await star(['kv', 'get', 'kv', 'gone', ...kvFlags])).stdout).toBe('x');

    const deleted = await star(['kv', 'del', 'kv', 'gone', '--if-match', String(put.version), ...kvFlags]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe('deleted kv/gone\n');
    const again = await star(['kv', 'delete', 'kv', 'gone', ...kvFlags]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/404 NotFound/);
    const get = await star(['kv', 'get', 'kv', 'gone', ...kvFlags]);
    expect(get.code).toBe(1);
    expect(get.stdout).toBe('');
    expect(get.stderr).toMatch(/404 NotFound/);
  });

  it('exits 1 for an unknown namespace, a missing key (401) or a key outside its scope (403)', async () => {
    const unknown = await star(['kv', 'get', 'kv-nope', 'k', ...kvFlags]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/404 NotFound: .*namespace kv-nope/);

    const withoutKey = await star(['kv', 'get', 'kv', 'greeting', '--gateway', gateway.url]);
    expect(withoutKey.code).toBe(1);
    expect(withoutKey.stderr).toMatch(/401 Unauthorized/);

    const reader = await createKey(['read:kv']);
    const env = { STAR_GATEWAY_URL: gateway.url, STAR_API_KEY: reader };
    expect((await star(['kv', 'get', 'kv', 'greeting'], { env })).stdout).toBe('hello, star');
    const write = await star(['kv', 'put', 'kv', 'greeting', 'overwritten'], { env });
    expect(write.code).toBe(1);
    expect(write.stderr).toMatch(/403 Forbidden.*write:kv/);
    expect((await star(['kv', 'get', 'kv', 'greeting'], { env })).stdout).toBe('hello, star');
  });

  it('exits 2 when the gateway cannot be reached', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    for (const args of [
      ['put', 'kv', 'k', 'v'],
      ['get', 'kv', 'k'],
      ['delete', 'kv', 'k'],
      ['list', 'kv'],
      ['watch', 'kv'],
    ]) {
      const result = await star(['kv', ...args, '--gateway', nowhere, '--key', cluster.adminKey]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/cannot reach the gateway/);
    }
  });
});

describe('star kv list', () => {
  const keys = Array.from({ length: 25 }, (_, i) => `item/${String(i).padStart(2, '0')}`);

  beforeAll(async () => {
    const response = await fetch(`${gateway.url}/v1/namespaces/kv/batch`, {
      method: 'POST',
      headers: { ...cluster.authHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ operations: keys.map((key) => ({ op: 'put', key, value: `value of ${key}` })) }),
    });
    expect(response.status).toBe(200);
  });

  it('prints one page as a table and the next cursor on stderr; --cursor continues', async () => {
    const first = await star(['kv', 'list', 'kv', '--prefix', 'item/', '--limit', '10', ...kvFlags]);
    expect(first.code, first.stderr).toBe(0);
    const rows = first.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^KEY\s+VERSION\s+MODIFIED$/);
    expect(rows.slice(1).map((row) => row.split(/\s+/)[0])).toEqual(keys.slice(0, 10));
    expect(rows[1]).toMatch(/^item\/00\s+\d+\s+\d{4}-\d\d-\d\dT/);
    const cursor = /more keys follow: --cursor (\S+)/.exec(first.stderr)?.[1];
    expect(cursor).toBeDefined();

    const second = await star([
      'kv',
      'list',
      'kv',
      '--prefix',
      'item/',
      '--limit',
      '10',
      '--cursor',
      cursor!,
      ...kvFlags,
    ]);
    expect(second.code, second.stderr).toBe(0);
    expect(
      second.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((row) => row.split(/\s+/)[0]),
    ).toEqual(keys.slice(10, 20));
  });

  it('--all follows the cursor through every page; --json --values prints one object per key', async () => {
    const all = await star([
      'kv',
      'list',
      'kv',
      '--prefix',
      'item/',
      '--limit',
      '7',
      '--all',
      '--json',
      '--values',
      ...kvFlags,
    ]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr).toBe('');
    const records = all.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { key: string; version: number; value: string });
    expect(records.map((record) => record.key)).toEqual(keys);
    expect(Buffer.from(records[3]!.value, 'base64').toString()).toBe('value of item/03');
    expect(records[3]!.version).toBeGreaterThan(0);
  });

  it('ranges with --start/--end and shows values in the table with --values', async () => {
    const range = await star([
      'kv',
      'list',
      'kv',
      '--start',
      'item/10',
      '--end',
      'item/13',
      '--values',
      ...kvFlags,
    ]);
    expect(range.code, range.stderr).toBe(0);
    const rows = range.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^KEY\s+VERSION\s+MODIFIED\s+VALUE$/);
    expect(rows.slice(1).map((row) => row.split(/\s+/)[0])).toEqual(['item/10', 'item/11', 'item/12']);
    expect(rows[1]).toMatch(/value of item\/10$/);
  });

  it('refuses a bad limit (exit 1 before calling) and a forged cursor (exit 1, 400)', async () => {
    const badLimit = await star(['kv', 'list', 'kv', '--limit', '0', ...kvFlags]);
    expect(badLimit.code).toBe(1);
    expect(badLimit.stderr).toMatch(/a limit is a number >= 1/);
    const forged = await star(['kv', 'list', 'kv', '--cursor', 'not-a-cursor', ...kvFlags]);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toMatch(/400 BadRequest/);
  });
});

describe('star kv watch', () => {
  interface Event {
    type: string;
    key: string;
    version: number;
    value?: string;
    cursor: string;
  }
  const parse = (lines: string[]) => lines.map((line) => JSON.parse(line) as Event);

  it('prints each change under the prefix as one JSON line; Ctrl-C exits 0; --cursor resumes', async () => {
    const watcher = watch(['kv', '--prefix', 'w/', ...kvFlags]);
    await watcher.waitForStderr(/watching kv from cursor \S+/);
    const put = async (key: string, value: string) =>
      expect((await star(['kv', 'put', 'kv', key, value, ...kvFlags])).code).toBe(0);
    await put('w/1', 'one');
    await put('other/1', 'not watched');
    await put('w/1', 'uno');
    expect((await star(['kv', 'delete', 'kv', 'w/1', ...kvFlags])).code).toBe(0);

    const events = parse(await watcher.waitForLines(3));
    expect(events.map((event) => [event.type, event.key])).toEqual([
      ['created', 'w/1'],
      ['modified', 'w/1'],
      ['deleted', 'w/1'],
    ]);
    expect(Buffer.from(events[1]!.value!, 'base64').toString()).toBe('uno');
    expect(events[0]!.version).toBeLessThan(events[1]!.version);
    expect(await watcher.interrupt()).toBe(0);
    expect(watcher.lines).toHaveLength(3);

    // Resuming after the first event replays exactly the two after it.
    const resumed = watch(['kv', '--prefix', 'w/', '--cursor', events[0]!.cursor, ...kvFlags]);
    const replayed = parse(await resumed.waitForLines(2));
    expect(replayed.map((event) => [event.type, event.version])).toEqual([
      ['modified', events[1]!.version],
      ['deleted', events[2]!.version],
    ]);
    expect(await resumed.interrupt()).toBe(0);
    expect(resumed.lines).toHaveLength(2);
  });

  it('exits 1 without a key (401), outside the scope (403), for an unknown namespace or a forged cursor', async () => {
    const withoutKey = watch(['kv', '--gateway', gateway.url]);
    expect(await withoutKey.exited).toBe(1);
    expect(withoutKey.stderr).toMatch(/401 Unauthorized/);

    const other = await createKey(['read:orders']);
    const forbidden = watch(['kv', '--gateway', gateway.url, '--key', other]);
    expect(await forbidden.exited).toBe(1);
    expect(forbidden.stderr).toMatch(/403 Forbidden/);

    const unknown = watch(['kv-nope', ...kvFlags]);
    expect(await unknown.exited).toBe(1);
    expect(unknown.stderr).toMatch(/404 NotFound/);

    const forged = watch(['kv', '--cursor', 'forged', ...kvFlags]);
    expect(await forged.exited, forged.stderr).toBe(1);
    expect(forged.stderr).toMatch(/400 BadRequest/);
  });
});

describe('when the cluster cannot serve', () => {
  it('exits 2 on a 503 from the gateway (every node stopped)', async () => {
    for (const node of cluster.nodes.values()) await node.process.stop();
    const get = await star(['kv', 'get', 'kv', 'greeting', ...kvFlags]);
    expect(get.code, get.stderr).toBe(2);
    expect(get.stderr).toMatch(/failed with 503 Unavailable/);
  });
});
