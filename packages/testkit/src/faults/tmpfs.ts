import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * Every tmpfs this helper mounts names `star-tmpfs-<pid of the mounting process>` as its source, so
 * leftovers of a crashed run are found, and mounts of a run still going on elsewhere are left alone.
 */
const SOURCE_PREFIX = 'star-tmpfs-';
const FILLER = '.star-disk-filler';

/**
 * Whether this process may mount a tmpfs (it must be root). When it may not: under `CI=true` this
 * throws (CI has root, so a missing one is a broken runner, never a skip); otherwise it says so
 * loudly on stderr and returns false, and the caller runs nothing that needs it.
 */
export function canMountTmpfs(what: string): boolean {
  if (process.getuid?.() === 0) return true;
  const message = `${what} needs root to mount a size-limited tmpfs (mount -t tmpfs); this process is not root`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: failing instead of skipping)`);
  console.error(`\n*** NOT RUN: ${message} ***\n`);
  return false;
}

/** Unmounts every tmpfs a crashed earlier run left behind (its source names a process that is gone). */
export function cleanupStaleTmpfs(): string[] {
  const stale = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter(
      ([source, , type]) =>
        type === 'tmpfs' &&
        source?.startsWith(SOURCE_PREFIX) &&
        !isAlive(Number(source.slice(SOURCE_PREFIX.length))),
    )
    .map(([, target]) => target!.replace(/\\040/g, ' '));
  for (const target of stale) execFileSync('umount', ['-l', target]);
  return stale;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A size-limited tmpfs mounted on a directory (say a node's data dir), for disk-full faults: `fill()`
 * takes every free byte with a filler file, `release()` removes it so space returns. Needs root.
 */
export class SizedTmpfs {
  readonly dir: string;
  #mounted = true;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static mount(dir: string, sizeBytes: number): SizedTmpfs {
    mkdirSync(dir, { recursive: true });
    execFileSync('mount', [
      '-t',
      'tmpfs',
      '-o',
      `size=${sizeBytes},mode=0755`,
      `${SOURCE_PREFIX}${process.pid}`,
      dir,
    ]);
    return new SizedTmpfs(dir);
  }

  freeBytes(): number {
    const stats = statfsSync(this.dir);
    return stats.bavail * stats.bsize;
  }

  /** Writes a filler file until the file system refuses (ENOSPC), leaving about `leaveBytes` free. */
  fill(leaveBytes = 0): void {
    const fd = openSync(join(this.dir, FILLER), 'a');
    try {
      for (const chunk of [1 << 20, 64 << 10, 4 << 10]) {
        const buffer = Buffer.alloc(chunk, 0x5a);
        while (this.freeBytes() - chunk >= leaveBytes) {
          try {
            writeSync(fd, buffer);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw error;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Removes the filler: the space it took is free again. */
  release(): void {
    rmSync(join(this.dir, FILLER), { force: true });
  }

  /** Unmounts (lazily if still busy); what was on it is gone. Safe to call twice. */
  unmount(): void {
    if (!this.#mounted) return;
    this.#mounted = false;
    if (!existsSync(this.dir)) return;
    try {
      execFileSync('umount', [this.dir]);
    } catch {
      execFileSync('umount', ['-l', this.dir]);
    }
  }
}
