import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runQuietly, runSyncQuietly } from './commands.js';

/** What one lab run made, written before each thing is made so a crashed run can be undone. */
export interface LabRecord {
  runId: string;
  /** The process that owns the run; its death makes the record a leftover. */
  pid: number;
  /** The third octet of the run's /24 in 10.213.0.0/16 (the record's file is named after it). */
  subnet: number;
  bridge: string;
  namespaces: string[];
  /** Root-namespace ends of the hosts' veth pairs. */
  links: string[];
}

/** Where records live: /run is tmpfs, so a reboot (which also drops every namespace) clears it. */
export function recordDir(): string {
  return process.getuid?.() === 0 ? '/run/star-netlab' : join(tmpdir(), 'star-netlab');
}

const recordPath = (subnet: number) => join(recordDir(), `10.213.${subnet}.0.json`);

/**
 * Claims subnet `subnet` for a run: creating the record file fails if another run holds it, which
 * makes the claim atomic between concurrent runs (CI in another clone, other test files).
 */
export function claimRecord(record: LabRecord): boolean {
  mkdirSync(recordDir(), { recursive: true });
  try {
    writeFileSync(recordPath(record.subnet), JSON.stringify(record), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

export function saveRecord(record: LabRecord): void {
  writeFileSync(recordPath(record.subnet), JSON.stringify(record));
}

export function dropRecord(record: LabRecord): void {
  rmSync(recordPath(record.subnet), { force: true });
}

function readRecords(): LabRecord[] {
  let files: string[];
  try {
    files = readdirSync(recordDir()).filter((file) => file.endsWith('.json'));
  } catch {
    return [];
  }
  const records: LabRecord[] = [];
  for (const file of files) {
    try {
      records.push(JSON.parse(readFileSync(join(recordDir(), file), 'utf8')) as LabRecord);
    } catch {
      // Half-written by a run that is claiming it right now; not ours to judge.
    }
  }
  return records;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Subnets held by runs whose owner still lives: never touched, never reused. */
export function liveSubnets(): Set<number> {
  return new Set(
    readRecords()
      .filter((r) => isAlive(r.pid))
      .map((r) => r.subnet),
  );
}

/**
 * Removes what runs whose owner died left behind (their processes, namespaces, links, bridge,
 * record); records of live owners are left alone, whoever they are.
 */
export async function removeLeftovers(): Promise<LabRecord[]> {
  const dead = readRecords().filter((record) => !isAlive(record.pid));
  for (const record of dead) await undo(record);
  return dead;
}

/** Undoes one run: kills what still runs in its namespaces, then deletes them and its links. */
export async function undo(record: LabRecord): Promise<void> {
  for (const namespace of record.namespaces) {
    // A process left in a namespace keeps its veth alive after `ip netns del`: kill it first.
    const pids = await run('ip', ['netns', 'pids', namespace]).catch(() => '');
    for (const pid of pids.split(/\s+/).filter((p) => p !== '')) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await runQuietly('ip', ['netns', 'del', namespace]);
  }
  for (const link of record.links) await runQuietly('ip', ['link', 'del', link]);
  await runQuietly('ip', ['link', 'del', record.bridge]);
  dropRecord(record);
}

/** `undo` for an exit hook: synchronous, and best effort. */
export function undoSync(record: LabRecord): void {
  for (const namespace of record.namespaces) runSyncQuietly('ip', ['netns', 'del', namespace]);
  for (const link of record.links) runSyncQuietly('ip', ['link', 'del', link]);
  runSyncQuietly('ip', ['link', 'del', record.bridge]);
  dropRecord(record);
}
