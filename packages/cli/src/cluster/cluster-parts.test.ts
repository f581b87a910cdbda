import { spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseScaleTarget } from '../commands/scale.js';
import { topologyOf } from '../commands/up.js';
import { DEFAULT_TOPOLOGY, readClusterFile, type ServiceRecord, writeClusterFile } from './cluster-file.js';
import { persistentSecret } from './cluster-secrets.js';
import { isRunning, procStartOf, stopProcess } from './local-process.js';
import { LogFollower, tailLines } from './log-follower.js';
import { DataDirLayout, instanceName, parseInstanceName } from './service-spec.js';

const dirs: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'star-cli-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('instance names', () => {
  it('round-trips kind and number, and rejects anything else', () => {
    expect(instanceName('node', 12)).toBe('n12');
    expect(parseInstanceName('n12')).toEqual({ kind: 'node', index: 12 });
    expect(parseInstanceName('redis')).toEqual({ kind: 'redis', index: 1 });
    expect(parseInstanceName('m0')).toBeUndefined();
    expect(parseInstanceName('x1')).toBeUndefined();
  });
});

describe('scale targets and topology', () => {
  it('parses kind=count (singular or plural) and keeps the last of a kind', () => {
    expect(parseScaleTarget('node=5')).toEqual([{ kind: 'node', count: 5 }]);
    expect(parseScaleTarget('gateways=2', [{ kind: 'node', count: 5 }])).toEqual([
      { kind: 'node', count: 5 },
      { kind: 'gateway', count: 2 },
    ]);
    expect(() => parseScaleTarget('redis=2')).toThrow(/expected <kind>=<count>/);
    expect(() => parseScaleTarget('node=0')).toThrow(/at least 1 node/);
    expect(() => parseScaleTarget('node=-1')).toThrow(/expected/);
  });

  it('takes flags over the recorded topology over the defaults, and refuses rf above the nodes', () => {
    expect(topologyOf({}, undefined)).toEqual(DEFAULT_TOPOLOGY);
    expect(topologyOf({ nodes: 1 }, undefined)).toMatchObject({ nodes: 1, rf: 1 });
    expect(topologyOf({}, { ...DEFAULT_TOPOLOGY, nodes: 5 })).toMatchObject({ nodes: 5, rf: 3 });
    expect(() => topologyOf({ nodes: 2, rf: 3 }, undefined)).toThrow(/--rf 3 needs at least 3 nodes/);
    // --ha is remembered like the counts; a cluster.json from before it existed means no.
    expect(topologyOf({ ha: true }, undefined).ha).toBe(true);
    expect(topologyOf({}, { ...DEFAULT_TOPOLOGY, ha: true }).ha).toBe(true);
    const { ha: _ha, ...older } = DEFAULT_TOPOLOGY;
    expect(topologyOf({}, older).ha).toBe(false);
  });
});

describe('cluster.json and pid files', () => {
  it('writes both, and removes the pid file of a stopped service', () => {
    const layout = new DataDirLayout(scratch());
    const service = (name: string, pid: number | null): ServiceRecord => ({
      name,
      kind: 'node',
      port: 1,
      url: 'http://127.0.0.1:1',
      pid,
      procStart: null,
      startedAt: null,
      log: layout.logFile(name),
    });
    const file = {
      version: 1 as const,
      dataDir: layout.root,
      gatewayUrl: null,
      managerUrls: [],
      redisUrl: 'redis://127.0.0.1:1',
      ownsRedis: true,
      adminKey: 'k'.repeat(20),
      dashboards: {},
      topology: DEFAULT_TOPOLOGY,
      services: { n1: service('n1', 1234), n2: service('n2', null) },
      updatedAt: '',
    };
    writeClusterFile(layout, file);
    expect(readFileSync(layout.pidFile('n1'), 'utf8')).toBe('1234\n');
    expect(existsSync(layout.pidFile('n2'))).toBe(false);
    expect(readClusterFile(layout)?.services.n1?.pid).toBe(1234);
    file.services.n1.pid = null;
    writeClusterFile(layout, file);
    expect(existsSync(layout.pidFile('n1'))).toBe(false);
    expect(readClusterFile(new DataDirLayout(scratch()))).toBeUndefined();
  });

  it('keeps a secret across calls, readable only by the owner', () => {
    const file = join(scratch(), 'admin-key');
    const key = persistentSecret(file, 'star-admin-');
    expect(key).toMatch(/^star-admin-[A-Za-z0-9_-]{32}$/);
    expect(persistentSecret(file, 'star-admin-')).toBe(key);
    expect(statMode(file)).toBe(0o600);
  });
});

function statMode(file: string): number {
  return statSync(file).mode % 0o1000;
}

describe('process identity', () => {
  it('tells a running process from a gone one and from a reused pid', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = child.pid!;
    const procStart = procStartOf(pid) ?? null;
    expect(isRunning({ pid, procStart })).toBe(true);
    // The same pid with another start time is some other process: a stale pid file.
    expect(isRunning({ pid, procStart: (procStart ?? 0) + 1 })).toBe(procStart === null);
    expect(await stopProcess({ pid, procStart }, 5_000)).toBe('stopped');
    expect(isRunning({ pid, procStart })).toBe(false);
    expect(await stopProcess({ pid, procStart })).toBe('not running');
  });
});

describe('log files', () => {
  it('follows appended lines and tails the last ones', () => {
    const file = join(scratch(), 'x.log');
    writeFileSync(file, 'a\nb\n');
    const seen: string[] = [];
    const follower = new LogFollower(file, (line) => seen.push(line), LogFollower.sizeOf(file));
    follower.poll();
    appendFileSync(file, 'c\npart');
    follower.poll();
    expect(seen).toEqual(['c']);
    appendFileSync(file, 'ial\n');
    follower.stop();
    expect(seen).toEqual(['c', 'partial']);
    expect(tailLines(file, 2)).toEqual(['c', 'partial']);
    expect(tailLines(join(scratch(), 'missing.log'), 5)).toEqual([]);
  });
});
