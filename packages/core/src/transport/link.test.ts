import { once } from 'node:events';
import { FrameType, LinkDefaults, StarError } from '@star/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { decodeFrames, encodeFrame } from './frame-codec.js';
import type { LinkClient } from './link-client.js';
import { LinkRouter } from './link-router.js';
import { connectTestClient, startTestLinkServer, type TestLinkServer } from './link-test-fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function echoRouter(): LinkRouter {
  return new LinkRouter().handle('echo', (body) => body);
}

async function serve(router: LinkRouter, options?: Parameters<typeof startTestLinkServer>[1]) {
  const server = await startTestLinkServer(router, options);
  cleanups.push(() => server.close());
  return server;
}

function client(
  server: TestLinkServer | string,
  options?: Parameters<typeof connectTestClient>[1],
): LinkClient {
  const c = connectTestClient(typeof server === 'string' ? server : server.url, options);
  cleanups.push(() => c.close());
  return c;
}

/** A raw ws connection for sending bytes the Link class would never produce. */
async function rawSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  cleanups.push(() => ws.terminate());
  await once(ws, 'open');
  return ws;
}

function closeRawServer(wss: WebSocketServer): Promise<void> {
  for (const socket of wss.clients) socket.terminate();
  return new Promise((resolve) => wss.close(() => resolve()));
}

async function settled<T>(
  promise: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: StarError }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error: error as StarError };
  }
}

describe('link round trip', () => {
  it('answers requests, carries bytes, delivers notifications and runs both ways on one link', async () => {
    const seen: unknown[] = [];
    const router = echoRouter()
      .handle('fail', () => {
        throw new StarError('PreconditionFailed', 'expected version 2');
      })
      .on('note', (body) => {
        seen.push(body);
      });
    const server = await serve(router);
    const c = client(server, { router: new LinkRouter().handle('whoami', () => 'client') });

    const value = Buffer.from([1, 2, 3, 250]);
    const reply = await c.request<{ key: string; value: Uint8Array }>('echo', { key: 'k', value });
    expect(reply.key).toBe('k');
    expect(Buffer.from(reply.value).equals(value)).toBe(true);

    await c.notify('note', { n: 1 });
    await expect.poll(() => seen).toEqual([{ n: 1 }]);

    const failure = await settled(c.request('fail', {}));
    expect(failure.ok).toBe(false);
    expect(!failure.ok && failure.error).toBeInstanceOf(StarError);
    expect(!failure.ok && failure.error.code).toBe('PreconditionFailed');
    expect(!failure.ok && failure.error.message).toBe('expected version 2');

    const unknown = await settled(c.request('nope', {}));
    expect(!unknown.ok && unknown.error.code).toBe('UnknownMethod');

    // The accepting side may call the dialing side over the same connection.
    expect(server.links).toHaveLength(1);
    expect(await server.links[0]!.request('whoami', null)).toBe('client');
  });

  it('multiplexes 10,000 concurrent requests on one link, each matched to its own response', async () => {
    const server = await serve(echoRouter());
    const c = client(server);
    const count = 10_000;
    const replies = await Promise.all(
      Array.from({ length: count }, (_, i) => c.request<{ i: number }>('echo', { i }, { timeoutMs: 30_000 })),
    );
    expect(replies.map((r) => r.i)).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(server.links).toHaveLength(1);
    const link = await c.link();
    expect(link.stats().pendingRequests).toBe(0);
  });

  it('refuses a dialer without the cluster secret and accepts one with it', async () => {
    const server = await serve(echoRouter(), { secret: 's3cret' });
    const wrong = client(server, { secret: 'guess' });
    const refused = await settled(wrong.request('echo', 1, { timeoutMs: 300 }));
    expect(!refused.ok && refused.error.code).toBe('Unavailable');
    expect(server.links).toHaveLength(0);

    const right = client(server, { secret: 's3cret' });
    expect(await right.request('echo', 1)).toBe(1);
  });
});

describe('link batching', () => {
  it('sends the frames of one event-loop turn as one message', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    cleanups.push(() => closeRawServer(wss));
    await once(wss, 'listening');
    const accepted = once(wss, 'connection');
    const c = client(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`);
    const link = await c.link(2_000);
    const [peer] = (await accepted) as [WebSocket];
    let messages = 0;
    let frames = 0;
    peer.on('message', (data) => {
      messages++;
      frames += decodeFrames(data as Buffer).length;
    });
    await Promise.all(Array.from({ length: 1_000 }, (_, i) => link.notify('n', { i })));
    await expect.poll(() => frames).toBe(1_000);
    expect(messages).toBeLessThanOrEqual(2);
  });
});

describe('link reconnect', () => {
  it('fails in-flight requests with LinkClosed and redials after the server restarts', async () => {
    let release: () => void = () => {};
    const router = echoRouter().handle('hang', () => new Promise<void>((r) => (release = r)));
    const first = await startTestLinkServer(router);
    const c = client(first);
    let connects = 0;
    c.on('connect', () => connects++);
    expect(await c.request('echo', 'before')).toBe('before');

    const inFlight = settled(c.request('hang', null, { timeoutMs: 5_000 }));
    await first.close();
    release();
    const lost = await inFlight;
    expect(!lost.ok && lost.error.code).toBe('LinkClosed');
    expect(c.connected).toBe(false);

    // Sent while the server is down: waits for the next connection within its deadline.
    const pending = c.request('echo', 'after', { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    const second = await serve(router, { port: first.port });
    expect(await pending).toBe('after');
    expect(second.links).toHaveLength(1);
    expect(connects).toBeGreaterThanOrEqual(1);
  });

  it('reports Unavailable when no peer answers within the deadline', async () => {
    const server = await serve(echoRouter());
    const url = server.url;
    await server.close();
    const c = client(url);
    const started = Date.now();
    const result = await settled(c.request('echo', 1, { timeoutMs: 250 }));
    expect(!result.ok && result.error.code).toBe('Unavailable');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('cuts off a peer that stops answering pings', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: false });
    cleanups.push(() => closeRawServer(wss));
    await once(wss, 'listening');
    const port = (wss.address() as { port: number }).port;
    const c = client(`ws://127.0.0.1:${port}`, { link: { pingIntervalMs: 100 } });
    await c.link(2_000);
    const [code] = await once(c, 'disconnect');
    expect(code).toBe(1006);
  });
});

describe('link bad input', () => {
  it('answers bytes that are not MessagePack with an error frame and closes only that link', async () => {
    const server = await serve(echoRouter());
    const ws = await rawSocket(server.url);
    const frames: unknown[] = [];
    ws.on('message', (data) => frames.push(...decodeFrames(data as Buffer)));
    ws.send(Buffer.from([0xc1, 0x00, 0xff]));
    const [code] = await once(ws, 'close');
    expect(code).toBe(1007);
    expect(frames).toEqual([
      { t: FrameType.ErrorResponse, id: 0, e: expect.objectContaining({ code: 'MalformedFrame' }) },
    ]);
    // The server is unharmed: a new link works.
    expect(await client(server).request('echo', 'still here')).toBe('still here');
  });

  it('answers a request frame that lacks a method with an error for that id and keeps the link', async () => {
    const server = await serve(echoRouter());
    const ws = await rawSocket(server.url);
    const replies: unknown[] = [];
    ws.on('message', (data) => replies.push(...decodeFrames(data as Buffer)));
    ws.send(encodeFrame({ t: FrameType.Request, id: 5 } as never));
    ws.send(encodeFrame({ t: FrameType.Request, id: 6, m: 'echo', b: 'ok' }));
    await expect.poll(() => replies.length).toBe(2);
    expect(replies[0]).toEqual({
      t: FrameType.ErrorResponse,
      id: 5,
      e: expect.objectContaining({ code: 'MalformedFrame' }),
    });
    expect(replies[1]).toEqual({ t: FrameType.Response, id: 6, b: 'ok' });
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });

  it('closes a link that sends text instead of binary frames', async () => {
    const server = await serve(echoRouter());
    const ws = await rawSocket(server.url);
    ws.send('{"t":1}');
    const [code] = await once(ws, 'close');
    expect(code).toBe(1007);
  });

  it('closes a link whose peer sends a frame over the size limit, and keeps serving others', async () => {
    const limit = 64 * 1024;
    const server = await serve(echoRouter(), { link: { maxFrameBytes: limit } });
    const big = client(server, { link: { maxFrameBytes: 1024 * 1024 } });
    let disconnects = 0;
    big.on('disconnect', () => disconnects++);
    const result = await settled(big.request('echo', Buffer.alloc(limit + 1), { timeoutMs: 5_000 }));
    expect(!result.ok && result.error.code).toBe('LinkClosed');
    expect(!result.ok && result.error.details).toEqual({ code: 1009 });
    expect(disconnects).toBe(1);
    expect(await client(server).request('echo', 'fine')).toBe('fine');
  });

  it('refuses to send an oversized frame locally without closing the link', async () => {
    const server = await serve(
      echoRouter().handle('huge', () => Buffer.alloc(200 * 1024)),
      {
        link: { maxFrameBytes: 100 * 1024 },
      },
    );
    const c = client(server, { link: { maxFrameBytes: 100 * 1024 } });
    const tooBig = await settled(c.request('echo', Buffer.alloc(100 * 1024 + 1)));
    expect(!tooBig.ok && tooBig.error.code).toBe('FrameTooLarge');
    // A response over the limit becomes an error response, not a broken link.
    const hugeReply = await settled(c.request('huge', null));
    expect(!hugeReply.ok && hugeReply.error.code).toBe('FrameTooLarge');
    expect(await c.request('echo', 'small')).toBe('small');
    expect(server.links).toHaveLength(1);
  });
});

describe('link backpressure', () => {
  it('stalls a sender whose peer stops reading, bounds its buffers, refuses the excess, drains on resume', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    cleanups.push(() => closeRawServer(wss));
    await once(wss, 'listening');
    const accepted = once(wss, 'connection');
    const port = (wss.address() as { port: number }).port;
    const highWaterMarkBytes = 64 * 1024;
    const maxQueuedFrames = 50;
    const c = client(`ws://127.0.0.1:${port}`, {
      link: { highWaterMarkBytes, maxQueuedFrames, pingIntervalMs: 0 },
    });
    const link = await c.link(2_000);
    const [peer] = (await accepted) as [WebSocket];
    let received = 0;
    peer.on('message', (data) => {
      received += decodeFrames(data as Buffer).length;
    });
    peer.pause(); // the peer stops reading: kernel buffers fill, then ours must not grow without bound

    // A well-behaved producer awaits each send; it must stall once the kernel buffers are full.
    const frame = Buffer.alloc(32 * 1024);
    const total = 4_000; // 128 MiB: far more than loopback socket buffers hold
    let produced = 0;
    const producer = (async () => {
      for (let i = 0; i < total; i++) {
        await link.notify('bulk', frame);
        produced++;
      }
    })();
    let last = -1;
    await expect
      .poll(
        () => {
          const stalled = produced === last;
          last = produced;
          return stalled;
        },
        { interval: 300, timeout: 20_000 },
      )
      .toBe(true);
    expect(produced).toBeLessThan(total);
    expect(link.stats().bytesInFlight).toBeLessThanOrEqual(highWaterMarkBytes + frame.length + 64);

    // A burst beyond the queue bound is refused at once with Overloaded, not buffered.
    const burst = await Promise.all(
      Array.from({ length: 100 }, () => {
        const sent = settled(link.notify('bulk', frame));
        return Promise.race([sent, new Promise((r) => setTimeout(() => r('queued'), 100))]);
      }),
    );
    expect(link.stats().queuedFrames).toBe(maxQueuedFrames);
    const refused = burst.filter((r) => r !== 'queued');
    expect(refused).toHaveLength(100 - (maxQueuedFrames - 1));
    expect(refused.every((r) => (r as { ok: boolean; error?: StarError }).error?.code === 'Overloaded')).toBe(
      true,
    );

    peer.resume();
    await producer;
    expect(produced).toBe(total);
    await expect.poll(() => received, { timeout: 20_000 }).toBe(total + maxQueuedFrames - 1);
    expect(link.stats()).toMatchObject({ queuedFrames: 0, bytesInFlight: 0 });
  });

  it('stops reading while it owes too many replies and resumes once they are answered', async () => {
    const releases: (() => void)[] = [];
    const router = new LinkRouter().handle(
      'slow',
      (body) => new Promise((resolve) => releases.push(() => resolve(body))),
    );
    const server = await serve(router, { link: { maxPendingReplies: 100 } });
    const c = client(server);
    // Bodies of 4 KiB so that one socket read holds only a few requests: pausing takes effect quickly.
    const body = (i: number) => ({ i, pad: Buffer.alloc(4096) });
    const calls = Array.from({ length: 1_000 }, (_, i) =>
      settled(c.request<{ i: number }>('slow', body(i), { timeoutMs: 20_000 })),
    );
    await expect.poll(() => releases.length).toBeGreaterThanOrEqual(100);
    const serverLink = server.links[0]!;
    expect(serverLink.stats().readPaused).toBe(true);
    const readWhenPaused = releases.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(releases.length).toBe(readWhenPaused); // nothing more is read while paused
    expect(readWhenPaused).toBeLessThan(200);

    const drain = setInterval(() => {
      for (const release of releases.splice(0)) release();
    }, 5);
    cleanups.push(() => clearInterval(drain));
    const results = await Promise.all(calls);
    expect(results.map((r) => (r.ok ? r.value.i : r.error.code))).toEqual(
      Array.from({ length: 1_000 }, (_, i) => i),
    );
    expect(serverLink.stats().readPaused).toBe(false);
  });
});

describe('link timeouts', () => {
  it('rejects a request with Timeout, ignores the late answer and keeps the link usable', async () => {
    let answered = 0;
    const router = echoRouter().handle(
      'late',
      () =>
        new Promise((resolve) =>
          setTimeout(() => {
            answered++;
            resolve('late');
          }, 300),
        ),
    );
    const server = await serve(router);
    const c = client(server);
    const started = Date.now();
    const result = await settled(c.request('late', null, { timeoutMs: 100 }));
    expect(!result.ok && result.error.code).toBe('Timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect.poll(() => answered).toBe(1);
    expect(await c.request('echo', 'next')).toBe('next');
    expect((await c.link()).stats().pendingRequests).toBe(0);
  });

  it('uses the link default deadline when the caller gives none', async () => {
    const server = await serve(new LinkRouter().handle('never', () => new Promise(() => {})));
    const c = client(server, { link: { requestTimeoutMs: 150 } });
    await c.link();
    const result = await settled(c.request('never', null));
    expect(!result.ok && result.error.code).toBe('Timeout');
  });

  it('rejects a request whose AbortSignal fires', async () => {
    const server = await serve(new LinkRouter().handle('never', () => new Promise(() => {})));
    const c = client(server);
    const result = await settled(c.request('never', null, { signal: AbortSignal.timeout(50) }));
    expect(!result.ok && result.error.code).toBe('Timeout');
  });
});

it('exposes the link path constant the server mounts by default', () => {
  expect(LinkDefaults.path).toBe('/v1/link');
});
