import { StarClient } from '@star/client';
import { type RunningService, StarCluster, waitFor } from '@star/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

let cluster: StarCluster | undefined;
let client: StarClient | undefined;
afterAll(async () => {
  client?.close();
  await cluster?.stop();
});

interface Received {
  type: string;
  key: string;
  version: number;
  value?: string;
  cursor: string;
}

/** A watch socket that records events and the last cursor until it closes. */
function openWatch(
  gateway: RunningService,
  auth: Record<string, string>,
  received: Received[],
  cursor?: string,
) {
  const query = new URLSearchParams({ prefix: 'k/', ...(cursor ? { cursor } : {}) });
  const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/v1/namespaces/events/watch?${query}`, {
    headers: auth,
  });
  const state = { ready: false, closed: false, lastCursor: cursor };
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as Received & { type: string };
    if (message.type === 'ready') {
      state.ready = true;
      state.lastCursor = message.cursor;
      return;
    }
    if (message.type === 'error') throw new Error(`watch error: ${JSON.stringify(message)}`);
    received.push(message);
    state.lastCursor = message.cursor;
  });
  socket.on('close', () => {
    state.closed = true;
  });
  socket.on('error', () => {});
  return { socket, state };
}

describe('watch through the gateway', () => {
  it('delivers every committed change exactly once, in order per key, across a gateway restart', async () => {
    cluster = await StarCluster.start({ managers: 1, nodes: 3 });
    const c = cluster;
    await c.waitForNodes(3);
    const { url } = await c.leader();
    await c.api(url, 'POST', '/v1/namespaces', { name: 'events', shards: 4, replicationFactor: 3 });
    let gateway = await c.startGateway('g1');
    client = await StarClient.connect({ managers: c.managerUrls, apiKey: c.adminKey });
    const writer = client;

    const received: Received[] = [];
    let watch = openWatch(gateway, c.authHeaders, received);
    await waitFor(() => watch.state.ready, { description: 'the watch to be ready' });

    // Every acknowledged change, by key: what the watch must deliver.
    const committed = new Map<string, { type: string; version: number }[]>();
    const record = (key: string, type: string, version: number) =>
      committed.set(key, [...(committed.get(key) ?? []), { type, version }]);
    const failures: unknown[] = [];
    let writing = true;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      let n = 0;
      while (writing) {
        const key = `k/${Math.floor(Math.random() * 20)}`;
        try {
          if (Math.random() < 0.15) {
            const result = await writer.delete('events', key);
            record(key, 'deleted', result.version);
          } else {
            const result = await writer.put('events', key, `w${w}-${++n}`);
            record(key, result.modifications === 1 ? 'created' : 'modified', result.version);
          }
        } catch (error) {
          if ((error as { code?: string }).code !== 'NotFound') failures.push(error);
        }
        // A write outside the prefix must never be delivered.
        if (n % 10 === 0) await writer.put('events', `other/${w}`, 'x');
      }
    });

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const beforeRestart = received.length;
    gateway.process.kill('SIGKILL');
    await waitFor(() => watch.state.closed, { description: 'the watch socket to drop' });
    const resumeFrom = watch.state.lastCursor!;
    gateway = await c.startGateway('g1');
    watch = openWatch(gateway, c.authHeaders, received, resumeFrom);
    await waitFor(() => watch.state.ready, { description: 'the resumed watch to be ready' });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    writing = false;
    await Promise.all(writers);
    expect(failures).toEqual([]);

    const total = [...committed.values()].reduce((sum, list) => sum + list.length, 0);
    await waitFor(() => received.length >= total, {
      description: `all ${total} changes delivered (have ${received.length})`,
      timeoutMs: 10_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    watch.socket.close();
    console.info({ total, beforeRestart, received: received.length });

    expect(beforeRestart).toBeGreaterThan(0);
    expect(received.length).toBe(total);
    expect(received.every((event) => event.key.startsWith('k/'))).toBe(true);
    for (const [key, changes] of committed) {
      const expected = changes
        .sort((a, b) => a.version - b.version)
        .map((change) => `${change.type}@${change.version}`);
      const delivered = received
        .filter((event) => event.key === key)
        .map((event) => `${event.type}@${event.version}`);
      expect(delivered, key).toEqual(expected);
    }
  }, 90_000);

  it('refuses a forged cursor and an unknown namespace with an error message, then closes', async () => {
    const c = cluster!;
    const gateway = c.gateways.get('g1')!;
    for (const [path, code] of [
      ['/v1/namespaces/events/watch?cursor=forged', 'BadRequest'],
      ['/v1/namespaces/missing/watch', 'NotFound'],
    ] as const) {
      const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}${path}`, { headers: c.authHeaders });
      const messages: { type: string; code?: string }[] = [];
      socket.on('message', (data) => messages.push(JSON.parse(String(data))));
      const closeCode = await new Promise<number>((resolve) =>
        socket.on('close', (closed) => resolve(closed)),
      );
      expect(messages).toEqual([expect.objectContaining({ type: 'error', code })]);
      expect(closeCode).toBe(1008);
    }
  });
});
