import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogEntry } from '@star/protocol';
import Database from 'better-sqlite3';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openShardStore } from './shard-store.js';

/**
 * Kills a writer with SIGKILL while it appends and commits batches, then checks that every batch is
 * either wholly in the database or not at all, and that the committed state matches the log.
 * The writer runs the real store code: the sources are transpiled into a temp dir (Node 20 cannot run
 * TypeScript), next to a `node_modules` link so `better-sqlite3` resolves.
 */

const here = dirname(fileURLToPath(import.meta.url));
const sources = [
  'key-range.ts',
  'rows.ts',
  'schema.ts',
  'statements.ts',
  'record-meta-cache.ts',
  'storage-health.ts',
  'shard-store.ts',
];
const batchSize = 200;
const valueBytes = 1000;
const keySpace = 1000;

const writerScript = `
import { openShardStore } from './shard-store.js';
const [path, batchSize, valueBytes, keySpace] = process.argv.slice(2).map((a, i) => (i === 0 ? a : Number(a)));
const store = openShardStore(path);
let pending = store.uncommittedEntries();
let seq = store.lastSeq;
for (let batchNo = 0; ; batchNo++) {
  const batch = [];
  for (let i = 0; i < batchSize; i++) {
    seq++;
    const entry = { seq, term: 1, op: seq % 7 === 0 ? 'delete' : 'put', key: 'k' + (seq % keySpace),
      createdAt: seq, modifiedAt: seq, modifications: 1, clientId: 'writer', requestId: seq };
    if (entry.op === 'put') {
      const value = Buffer.alloc(valueBytes, seq % 251);
      value.writeUInt32BE(seq, 0);
      entry.value = value;
    }
    batch.push(entry);
  }
  store.append(batch);
  pending.push(...batch);
  if (batchNo % 2 === 1) {
    store.commit(seq, pending);
    pending = [];
  }
  process.stdout.write('appended ' + seq + '\\n');
}
`;

let workDir: string;
let dbPath: string;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'star-crash-'));
  const codeDir = join(workDir, 'code');
  mkdirSync(codeDir);
  for (const file of sources) {
    const { outputText } = ts.transpileModule(readFileSync(join(here, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: file,
    });
    writeFileSync(join(codeDir, file.replace(/\.ts$/, '.js')), outputText);
  }
  writeFileSync(join(codeDir, 'writer.js'), writerScript);
  writeFileSync(join(codeDir, 'package.json'), '{ "type": "module" }');
  symlinkSync(resolve(here, '../../node_modules'), join(codeDir, 'node_modules'), 'dir');
  dbPath = join(workDir, 'shard-1.sqlite');
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

/** Runs the writer until it reported `minSeq`, waits `extraMs` more, then SIGKILLs it; returns its last report. */
async function runAndKill(minSeq: number, extraMs: number): Promise<number> {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(workDir, 'code', 'writer.js'), dbPath, `${batchSize}`, `${valueBytes}`, `${keySpace}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let reported = 0;
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  await new Promise<void>((resolveReached, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) reported = Math.max(reported, Number(line.split(' ')[1]));
      if (reported >= minSeq) resolveReached();
    });
    child.once('exit', (code) => reject(new Error(`writer exited early (${code}): ${stderr}`)));
  });
  await new Promise((r) => setTimeout(r, extraMs));
  child.kill('SIGKILL');
  await exited;
  expect(child.signalCode).toBe('SIGKILL');
  return reported;
}

/** Checks whole batches, a contiguous log, and a committed state equal to replaying the log. */
function verify(reported: number): { lastSeq: number; commitSeq: number } {
  const raw = new Database(dbPath);
  expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
  raw.close();

  const store = openShardStore(dbPath);
  try {
    const { lastSeq, commitSeq } = store;
    expect(lastSeq).toBeGreaterThanOrEqual(reported);
    expect(lastSeq % batchSize).toBe(0);
    expect(commitSeq % batchSize).toBe(0);
    expect(commitSeq).toBeLessThanOrEqual(lastSeq);
    expect(commitSeq).toBeGreaterThanOrEqual(lastSeq - 4 * batchSize);

    const log = store.readLog(1, lastSeq + 1);
    expect(log.length).toBe(lastSeq);
    const expected = new Map<string, LogEntry>();
    log.forEach((entry, i) => {
      expect(entry.seq).toBe(i + 1);
      if (entry.op === 'put') {
        expect(entry.value!.byteLength).toBe(valueBytes);
        expect(Buffer.from(entry.value!).readUInt32BE(0)).toBe(entry.seq);
      }
      if (entry.seq <= commitSeq) expected.set(entry.key, entry);
    });
    for (let k = 0; k < keySpace; k++) {
      const key = `k${k}`;
      const entry = expected.get(key);
      const version = store.getVersion(key);
      if (entry === undefined) {
        expect(version).toBeUndefined();
        continue;
      }
      expect(version).toEqual({ version: entry.seq, deleted: entry.op === 'delete' });
      if (entry.op === 'put')
        expect(Buffer.from(store.getCommitted(key)!.value).equals(entry.value!)).toBe(true);
    }
    if (commitSeq > 0) expect(store.lookupRequest('writer', commitSeq)?.version).toBe(commitSeq);
    expect(store.lookupRequest('writer', commitSeq + 1)).toBeUndefined();
    return { lastSeq, commitSeq };
  } finally {
    store.close();
  }
}

describe('ShardStore crash recovery', () => {
  it('keeps every batch whole when the writer is killed with SIGKILL mid-way', async () => {
    let previous = 0;
    for (const extraMs of [0, 3, 17]) {
      const reported = await runAndKill(previous + 10 * batchSize, extraMs);
      const { lastSeq } = verify(reported);
      expect(lastSeq).toBeGreaterThan(previous);
      previous = lastSeq;
    }
  });
});
