import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  /** Removes the directory and everything in it; safe to call twice. */
  cleanup(): Promise<void>;
}

/** Creates fresh temp dirs and remembers them, so one call removes them all (e.g. in afterAll). */
export class TempDirRegistry {
  readonly #paths = new Set<string>();

  create(prefix = 'star-'): TempDir {
    const path = mkdtempSync(join(tmpdir(), prefix));
    this.#paths.add(path);
    return {
      path,
      cleanup: async () => {
        this.#paths.delete(path);
        await removeDir(path);
      },
    };
  }

  async cleanupAll(): Promise<void> {
    const paths = [...this.#paths];
    this.#paths.clear();
    await Promise.all(paths.map(removeDir));
  }

  /** Synchronous variant for process-exit hooks. */
  cleanupAllSync(): void {
    for (const path of this.#paths) rmSync(path, { recursive: true, force: true });
    this.#paths.clear();
  }

  get size(): number {
    return this.#paths.size;
  }
}

function removeDir(path: string): Promise<void> {
  return rm(path, { recursive: true, force: true, maxRetries: 3 });
}

/** The registry behind `tempDir()`: one per process, i.e. one per test file under vitest's forks pool. */
export const defaultTempDirs = new TempDirRegistry();

/** A fresh temp dir, registered so `cleanupTempDirs()` removes it. */
export function tempDir(prefix?: string): TempDir {
  return defaultTempDirs.create(prefix);
}

/** Removes every temp dir that `tempDir()` created in this process and has not been cleaned yet. */
export function cleanupTempDirs(): Promise<void> {
  return defaultTempDirs.cleanupAll();
}
