import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep } from './sleep.js';
import { TcpProxy } from './tcp-proxy.js';
import { waitFor } from './wait-for.js';

/** An echo server that counts the connections it accepted. */
async function echoServer(): Promise<{ server: Server; port: number; accepted: () => number }> {
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return { server, port, accepted: () => accepted };
}

/** A client socket that collects what it receives and remembers how it ended. */
async function dial(port: number): Promise<{
  socket: Socket;
  received: () => string;
  ended: () => 'open' | 'closed' | 'reset';
}> {
  const socket = createConnection(port, '127.0.0.1');
  let data = '';
  let state: 'open' | 'closed' | 'reset' = 'open';
  socket.on('data', (chunk) => {
    data += chunk.toString();
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    state = error.code === 'ECONNRESET' ? 'reset' : 'closed';
  });
  socket.on('close', () => {
    if (state === 'open') state = 'closed';
  });
  // A dial the proxy resets may fail before or after 'connect'; either way the state records it.
  await new Promise<void>((resolve) => {
    socket.once('connect', () => resolve());
    socket.once('error', () => resolve());
  });
  return { socket, received: () => data, ended: () => state };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup() {
  const echo = await echoServer();
  cleanups.push(() => new Promise<void>((resolve) => echo.server.close(() => resolve())));
  const proxy = await TcpProxy.start({ target: { port: echo.port }, name: 'test' });
  cleanups.push(() => proxy.close());
  return { echo, proxy };
}

function track<T extends { socket: Socket }>(client: T): T {
  cleanups.push(() => {
    client.socket.destroy();
  });
  return client;
}

describe('TcpProxy', () => {
  it('forwards both ways and counts connections and bytes', async () => {
    const { proxy } = await setup();
    const client = track(await dial(proxy.port));
    client.socket.write('hello');
    await waitFor(() => client.received() === 'hello', { description: 'the echo', timeoutMs: 2_000 });
    expect(proxy.address).toBe(`127.0.0.1:${proxy.port}`);
    expect(proxy.stats()).toMatchObject({ accepted: 1, open: 1, reset: 0, bytes: 10 });
  });

  it('refuse resets open connections and every new one until healed', async () => {
    const { echo, proxy } = await setup();
    const before = track(await dial(proxy.port));
    before.socket.write('x');
    await waitFor(() => before.received() === 'x', { description: 'the first echo', timeoutMs: 2_000 });

    proxy.refuse();
    await waitFor(() => before.ended() !== 'open', {
      description: 'the open link to drop',
      timeoutMs: 2_000,
    });
    expect(before.ended()).toBe('reset');
    const during = track(await dial(proxy.port));
    await waitFor(() => during.ended() !== 'open', { description: 'a new dial to drop', timeoutMs: 2_000 });
    expect(during.ended()).toBe('reset');
    expect(echo.accepted()).toBe(1);

    proxy.heal();
    const after = track(await dial(proxy.port));
    after.socket.write('y');
    await waitFor(() => after.received() === 'y', { description: 'the echo after heal', timeoutMs: 2_000 });
    expect(proxy.stats().reset).toBe(2);
  });

  it('blackhole holds bytes and new dials without closing anything, and delivers them on heal', async () => {
    const { echo, proxy } = await setup();
    const open = track(await dial(proxy.port));
    open.socket.write('a');
    await waitFor(() => open.received() === 'a', { description: 'the first echo', timeoutMs: 2_000 });

    proxy.blackhole();
    open.socket.write('b');
    const held = track(await dial(proxy.port));
    held.socket.write('c');
    await sleep(300);
    expect(open.received()).toBe('a');
    expect(held.received()).toBe('');
    expect(open.ended()).toBe('open');
    expect(held.ended()).toBe('open');
    expect(echo.accepted()).toBe(1);

    proxy.heal();
    await waitFor(() => open.received() === 'ab' && held.received() === 'c', {
      description: 'held bytes delivered both ways',
      timeoutMs: 2_000,
    });
    expect(echo.accepted()).toBe(2);
  });

  it('freeze stops the open connections for good, unclosed, while new ones are forwarded', async () => {
    const { proxy } = await setup();
    const frozen = track(await dial(proxy.port));
    frozen.socket.write('a');
    await waitFor(() => frozen.received() === 'a', { description: 'the first echo', timeoutMs: 2_000 });

    proxy.freeze();
    frozen.socket.write('b');
    const fresh = track(await dial(proxy.port));
    fresh.socket.write('c');
    await waitFor(() => fresh.received() === 'c', {
      description: 'a new connection echoed',
      timeoutMs: 2_000,
    });
    proxy.heal();
    await sleep(300);
    expect(frozen.received()).toBe('a');
    expect(frozen.ended()).toBe('open');
  });

  it('cut resets open connections but keeps accepting new ones', async () => {
    const { proxy } = await setup();
    const first = track(await dial(proxy.port));
    proxy.cut();
    await waitFor(() => first.ended() !== 'open', { description: 'the cut', timeoutMs: 2_000 });
    expect(first.ended()).toBe('reset');
    expect(proxy.mode).toBe('open');
    const second = track(await dial(proxy.port));
    second.socket.write('z');
    await waitFor(() => second.received() === 'z', { description: 'a new echo', timeoutMs: 2_000 });
  });

  it('closes the client when the target is down', async () => {
    const { echo, proxy } = await setup();
    await new Promise<void>((resolve) => echo.server.close(() => resolve()));
    const client = track(await dial(proxy.port));
    await waitFor(() => client.ended() !== 'open', { description: 'the client to close', timeoutMs: 2_000 });
    expect(proxy.stats().open).toBe(0);
  });
});
