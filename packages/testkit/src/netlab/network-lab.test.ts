import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './commands.js';
import { completeGrudge, oneWayGrudge } from './grudges.js';
import type { Host } from './host.js';
import { claimRecord, isAlive, type LabRecord } from './lab-record.js';
import { netlabUnavailableReason } from './lab-tools.js';
import { netemUnavailableReason } from './netem.js';
import { NetworkLab } from './network-lab.js';

const unavailable = await netlabUnavailableReason();
if (unavailable !== undefined) {
  const message = `NETWORK LAB TESTS CANNOT RUN: ${unavailable}`;
  // CI has root: there, a missing lab is a broken machine, never a skip.
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n${'!'.repeat(80)}\n${message}\n${'!'.repeat(80)}\n`);
}

const netemMissing = unavailable === undefined ? await netemUnavailableReason() : unavailable;
if (netemMissing !== undefined) {
  // Not a skip: the shapes run through the userspace relay instead; said so that nobody is fooled.
  console.warn(`${netemMissing}: the netem tests exercise the userspace relay stand-in`);
}

const PORT = 7400;

/** A TCP echo server and a UDP listener (which logs what it hears) inside `host`. */
function startServer(host: Host) {
  const script = `
    const net = require('node:net'); const dgram = require('node:dgram');
    net.createServer((s) => s.pipe(s)).listen(${PORT}, '${host.address}');
    const udp = dgram.createSocket('udp4');
    udp.on('message', (m) => console.log('heard ' + m));
    udp.bind(${PORT}, '${host.address}', () => console.log('ready'));`;
  const { command, args } = host.wrap(process.execPath, ['-e', script]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const ready = new Promise<void>((resolve) =>
    child.stdout.on('data', () => output.includes('ready') && resolve()),
  );
  return { child, ready, heard: () => output };
}

/** From inside `from`: one TCP echo round trip to `to`; resolves with its time in ms, or 'failed'. */
async function roundTrip(from: Host, to: Host, timeoutMs = 1_000): Promise<number | 'failed'> {
  const script = `
    const s = require('node:net').createConnection(${PORT}, '${to.address}');
    const t = setTimeout(() => { console.log('failed'); process.exit(0); }, ${timeoutMs});
    let started;
    s.on('connect', () => { started = performance.now(); s.write('x'); });
    s.on('data', () => { console.log(performance.now() - started); clearTimeout(t); s.destroy(); });
    s.on('error', () => { console.log('failed'); process.exit(0); });`;
  const { command, args } = from.wrap(process.execPath, ['-e', script]);
  const out = (await run(command, args)).trim();
  return out === 'failed' ? 'failed' : Number(out);
}

/** From inside `from`: one UDP datagram to `to`. */
async function sendDatagram(from: Host, to: Host, text: string): Promise<void> {
  const script = `const u = require('node:dgram').createSocket('udp4');
    u.send('${text}', ${PORT}, '${to.address}', () => u.close());`;
  const { command, args } = from.wrap(process.execPath, ['-e', script]);
  await run(command, args);
}

/** From the root namespace (the harness): can it open a connection to `host`? */
function rootReaches(host: Host): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: host.address, port: PORT, timeout: 1_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(unavailable !== undefined)('network lab', () => {
  let lab: NetworkLab;
  let servers: ReturnType<typeof startServer>[];
  let a: Host;
  let b: Host;

  beforeAll(async () => {
    lab = await NetworkLab.start({ hosts: ['a', 'b'] });
    a = lab.host('a');
    b = lab.host('b');
    servers = [startServer(a), startServer(b)];
    await Promise.all(servers.map((server) => server.ready));
  }, 30_000);

  afterAll(async () => {
    for (const server of servers ?? []) server.child.kill('SIGKILL');
    await lab?.stop();
  });

  it('gives each host its own address on a fresh /24, and hosts reach each other and the harness them', async () => {
    expect(a.address).not.toBe(b.address);
    expect(a.namespace).toContain(lab.runId);
    expect(await roundTrip(a, b)).toBeTypeOf('number');
    expect(await roundTrip(b, a)).toBeTypeOf('number');
    expect(await rootReaches(a)).toBe(true);
    expect(await rootReaches(b)).toBe(true);
  });

  it('a partition cuts both ways and leaves the harness connected; heal restores', async () => {
    await lab.rules.partition(completeGrudge([['a'], ['b']]));
    expect(await roundTrip(a, b)).toBe('failed');
    expect(await roundTrip(b, a)).toBe('failed');
    expect(await rootReaches(a)).toBe(true);
    await lab.heal();
    expect(await roundTrip(a, b)).toBeTypeOf('number');
    expect(await roundTrip(b, a)).toBeTypeOf('number');
  });

  it('a one-way cut (b stops hearing a): a still hears b, TCP breaks both ways (Jepsen drop on the receiver)', async () => {
    await lab.rules.partition(oneWayGrudge('a', 'b'));
    await sendDatagram(b, a, 'from-b');
    await sendDatagram(a, b, 'from-a');
    await sleep(200);
    expect(servers[0]!.heard()).toContain('heard from-b');
    expect(servers[1]!.heard()).not.toContain('heard from-a');
    expect(await roundTrip(a, b)).toBe('failed');
    expect(await roundTrip(b, a)).toBe('failed');
    await lab.heal();
    expect(await roundTrip(a, b)).toBeTypeOf('number');
  });

  it('a refused cut resets connections at once instead of timing out', async () => {
    await lab.rules.partition(completeGrudge([['a'], ['b']]), 'reject');
    const started = performance.now();
    expect(await roundTrip(a, b, 2_000)).toBe('failed');
    expect(performance.now() - started).toBeLessThan(1_500);
    await lab.heal();
  });

  it('netem delay slows a round trip measurably, and only between the shaped pair', async () => {
    const before = await roundTrip(a, b);
    await lab.netem.shape(a, { delayMs: 150 }, [b]);
    const slowed = await roundTrip(a, b, 3_000);
    await lab.netem.shape(a, { delayMs: 150, jitterMs: 20, lossPercent: 0 });
    const slowedAll = await roundTrip(a, b, 3_000);
    await lab.heal();
    const after = await roundTrip(a, b);
    expect(before).toBeLessThan(50);
    expect(slowed).toBeGreaterThanOrEqual(140);
    expect(slowedAll).toBeGreaterThanOrEqual(100);
    expect(after).toBeLessThan(50);
  });
});

describe.skipIf(unavailable !== undefined)('network lab clean-up', () => {
  it('stop leaves no namespace, link or record behind', async () => {
    const lab = await NetworkLab.start({ hosts: ['x', 'y'] });
    const { namespaces, links } = lab.made;
    expect((await run('ip', ['netns', 'list'])).includes(namespaces[0]!)).toBe(true);
    await lab.stop();
    const netns = await run('ip', ['netns', 'list']);
    const ipLinks = await run('ip', ['-o', 'link']);
    for (const name of namespaces) expect(netns).not.toContain(name);
    for (const name of links) expect(ipLinks).not.toContain(`${name}:`);
  });

  it("start removes a dead run's leftovers and never touches a live run's", async () => {
    const dead = spawn('true');
    await new Promise((resolve) => dead.once('exit', resolve));
    const live = spawn('sleep', ['60']);
    try {
      expect(isAlive(dead.pid!)).toBe(false);
      const leftover = await fakeRun('dead', dead.pid!);
      const other = await fakeRun('live', live.pid!);
      const lab = await NetworkLab.start({ hosts: ['z'] });
      await lab.stop();
      const netns = await run('ip', ['netns', 'list']);
      expect(netns).not.toContain(leftover.namespaces[0]!);
      expect(netns).toContain(other.namespaces[0]!);
      // The live run's own stop would do this; here the test plays it.
      await import('./lab-record.js').then(({ undo }) => undo(other));
    } finally {
      live.kill('SIGKILL');
    }
  });
});

/** What a run (owned by `pid`) leaves: a record and a namespace, as if it had crashed mid-run. */
async function fakeRun(tag: string, pid: number): Promise<LabRecord> {
  for (let subnet = 250; subnet > 200; subnet--) {
    const runId = `${tag.slice(0, 1)}${process.pid % 1000}`;
    const record: LabRecord = {
      runId,
      pid,
      subnet,
      bridge: `st${runId}br`,
      namespaces: [`st-${runId}-${tag}`],
      links: [],
    };
    if (!claimRecord(record)) continue;
    await run('ip', ['netns', 'add', record.namespaces[0]!]);
    return record;
  }
  throw new Error('no subnet free for a fake run');
}
