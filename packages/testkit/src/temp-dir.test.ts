import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupTempDirs, TempDirRegistry, tempDir } from './temp-dir.js';

describe('tempDir', () => {
  it('creates a fresh dir that cleanup removes with its contents', async () => {
    const dir = tempDir('star-test-');
    expect(existsSync(dir.path)).toBe(true);
    writeFileSync(join(dir.path, 'file.txt'), 'data');
    await dir.cleanup();
    expect(existsSync(dir.path)).toBe(false);
    await dir.cleanup();
  });

  it('gives a new dir on every call', async () => {
    const a = tempDir();
    const b = tempDir();
    expect(a.path).not.toBe(b.path);
    await cleanupTempDirs();
  });

  it('cleanupTempDirs removes every dir tempDir created', async () => {
    const dirs = [tempDir(), tempDir(), tempDir()];
    writeFileSync(join(dirs[0]!.path, 'file.txt'), 'data');
    await cleanupTempDirs();
    for (const dir of dirs) expect(existsSync(dir.path)).toBe(false);
  });

  it('a registry cleans only its own dirs', async () => {
    const registry = new TempDirRegistry();
    const mine = registry.create();
    const other = tempDir();
    expect(registry.size).toBe(1);
    await registry.cleanupAll();
    expect(existsSync(mine.path)).toBe(false);
    expect(existsSync(other.path)).toBe(true);
    await other.cleanup();
  });
});
