import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRepoRoot } from './repo-root.js';
import { cleanupTempDirs, tempDir } from './temp-dir.js';

describe('findRepoRoot', () => {
  afterAll(cleanupTempDirs);

  it('finds this repo from the module itself', () => {
    const root = findRepoRoot();
    expect(root).toBe(join(import.meta.dirname, '..', '..', '..'));
  });

  it('walks up to the nearest dir holding pnpm-workspace.yaml', () => {
    const root = tempDir('star-root-').path;
    writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages: []\n');
    const nested = join(root, 'packages', 'cli', 'dist');
    mkdirSync(nested, { recursive: true });
    expect(findRepoRoot(nested)).toBe(root);
    expect(findRepoRoot(root)).toBe(root);
  });

  it('throws when no workspace is above the start dir', () => {
    const lonely = tempDir('star-lonely-').path;
    expect(() => findRepoRoot(lonely)).toThrow(/No pnpm-workspace.yaml found/);
  });
});
