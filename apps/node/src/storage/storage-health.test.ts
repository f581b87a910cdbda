import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { isDiskFull, StorageHealth } from './storage-health.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('storage health', () => {
  it('knows SQLite and OS disk-full errors from others', () => {
    expect(isDiskFull(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))).toBe(
      true,
    );
    expect(isDiskFull(Object.assign(new Error('no space'), { code: 'ENOSPC' }))).toBe(true);
    expect(isDiskFull(Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }))).toBe(false);
    expect(isDiskFull(undefined)).toBe(false);
  });

  it('is full from the first failure until the probe finds enough free space', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'star-health-'));
    dirs.push(dataDir);
    const tooMuch = new StorageHealth({
      dataDir,
      logger: pino({ level: 'silent' }),
      resumeFreeBytes: Number.MAX_SAFE_INTEGER,
      probeEveryMs: 10,
    });
    tooMuch.markFull(new Error('full'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(tooMuch.full).toBe(true);
    tooMuch.stop();

    const health = new StorageHealth({
      dataDir,
      logger: pino({ level: 'silent' }),
      resumeFreeBytes: 1,
      probeEveryMs: 10,
    });
    expect(health.full).toBe(false);
    health.markFull(new Error('full'));
    expect(health.full).toBe(true);
    expect(health.refusal().code).toBe('InsufficientStorage');
    expect(health.refusal().status).toBe(507);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(health.full).toBe(false);
    health.stop();
  });
});
