import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canMountTmpfs, cleanupStaleTmpfs, SizedTmpfs } from './tmpfs.js';

const dirs: string[] = [];
const mounts: SizedTmpfs[] = [];
afterEach(() => {
  for (const tmpfs of mounts.splice(0)) tmpfs.unmount();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const mounted = (dir: string) => readFileSync('/proc/mounts', 'utf8').includes(` ${dir} tmpfs `);

describe('SizedTmpfs', () => {
  it('fills to ENOSPC, frees on release, unmounts, and leaves a live run’s mount to stale clean-up', () => {
    if (!canMountTmpfs('the SizedTmpfs test')) return;
    const dir = mkdtempSync(join(tmpdir(), 'star-tmpfs-test-'));
    dirs.push(dir);
    const tmpfs = SizedTmpfs.mount(join(dir, 'data'), 4 * 1024 * 1024);
    mounts.push(tmpfs);
    expect(mounted(join(dir, 'data'))).toBe(true);
    writeFileSync(join(dir, 'data', 'kept'), 'x');
    tmpfs.fill();
    expect(tmpfs.freeBytes()).toBeLessThan(4096);
    expect(() => writeFileSync(join(dir, 'data', 'more'), Buffer.alloc(64 * 1024))).toThrow(/ENOSPC/);
    tmpfs.release();
    expect(tmpfs.freeBytes()).toBeGreaterThan(3 * 1024 * 1024);
    // This process is alive: its mount is not stale.
    expect(cleanupStaleTmpfs()).not.toContain(join(dir, 'data'));
    expect(mounted(join(dir, 'data'))).toBe(true);
    tmpfs.unmount();
    expect(mounted(join(dir, 'data'))).toBe(false);
    expect(existsSync(join(dir, 'data', 'kept'))).toBe(false);
  });
});
