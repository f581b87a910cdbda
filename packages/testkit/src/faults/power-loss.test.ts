import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type TempDir, tempDir } from '../temp-dir.js';
import { cutWalFrames } from './power-loss.js';

let dir: TempDir | undefined;
afterEach(async () => {
  await dir?.cleanup();
  dir = undefined;
});

function rows(path: string): number {
  const db = new Database(path);
  try {
    return (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('cutWalFrames', () => {
  it('loses the newest transactions of a WAL database, as a power loss under synchronous=NORMAL can', () => {
    dir = tempDir('star-power-loss-');
    const live = join(dir.path, 'live.sqlite');
    const db = new Database(live);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (n INTEGER)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    for (let n = 1; n <= 20; n++) insert.run(n);
    // The files as a crash leaves them: the database file and the WAL, copied while open.
    const crashed = join(dir.path, 'crashed.sqlite');
    copyFileSync(live, crashed);
    copyFileSync(`${live}-wal`, `${crashed}-wal`);
    db.close();
    expect(rows(join(dir.path, 'live.sqlite'))).toBe(20);

    const cut = cutWalFrames(crashed, 5);
    expect(cut).toMatchObject({ framesCut: 5, pageSize: 4096 });
    expect(cut.framesBefore).toBeGreaterThanOrEqual(21);
    // One insert is one frame here: exactly the last five transactions are gone.
    expect(rows(crashed)).toBe(15);
  });

  it('cuts the current generation of a WAL that a checkpoint restarted, not the stale frames after it', () => {
    dir = tempDir('star-power-loss-');
    const live = join(dir.path, 'live.sqlite');
    const db = new Database(live);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (n INTEGER)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    for (let n = 1; n <= 20; n++) insert.run(n);
    // Everything so far is synced into the database; the next writes reuse the WAL from its start.
    db.pragma('wal_checkpoint(RESTART)');
    for (let n = 21; n <= 25; n++) insert.run(n);
    const crashed = join(dir.path, 'crashed.sqlite');
    copyFileSync(live, crashed);
    copyFileSync(`${live}-wal`, `${crashed}-wal`);
    db.close();

    const cut = cutWalFrames(crashed, 3);
    // Five new frames (one per insert) lead the file; the twenty-odd after them are stale.
    expect(cut).toMatchObject({ framesBefore: 5, framesCut: 3 });
    expect(rows(crashed)).toBe(22);
  });

  it('does nothing without a WAL', () => {
    dir = tempDir('star-power-loss-');
    expect(cutWalFrames(join(dir.path, 'none.sqlite'), 3)).toEqual({
      framesBefore: 0,
      framesCut: 0,
      pageSize: 0,
    });
  });
});
