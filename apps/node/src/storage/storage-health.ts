import { statfsSync } from 'node:fs';
import { StarError } from '@star/protocol';
import type { Logger } from 'pino';

/**
 * Free bytes the data dir must have again before a node that ran out of space persists (and renews
 * its lease) again: enough for a WAL to grow by a few batches of maximal values, so a node does not
 * flap between full and not at the very edge.
 */
export const defaultResumeFreeBytes = 16 * 1024 * 1024;
/** How often a full node looks at its free space. */
export const defaultProbeEveryMs = 500;

/** SQLite's `SQLITE_FULL` (better-sqlite3 puts it in `code`), or the OS's `ENOSPC`. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC';
}

/**
 * Whether this node can persist (issue 14 item 5). A write that fails for want of space marks the
 * node full: the head refuses new writes with `InsufficientStorage` (507), and the read lease stops
 * renewing, so the manager declares the node failed after a lease and chains around it — the same
 * path as a node cut from Redis, which needs no new signal in the control plane. SQLite rolls the
 * failed transaction back, so nothing half-written stays and nothing unpersisted is acknowledged.
 * While full it probes the data dir's free space; once `resumeFreeBytes` are free it clears, the
 * lease renews again (revalidating every configuration first) and the manager lets the node re-enter.
 */
export class StorageHealth {
  readonly #dataDir: string;
  readonly #logger: Logger;
  readonly #resumeFreeBytes: number;
  readonly #probeEveryMs: number;
  #fullSince: number | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(params: { dataDir: string; logger: Logger; resumeFreeBytes?: number; probeEveryMs?: number }) {
    this.#dataDir = params.dataDir;
    this.#logger = params.logger.child({ component: 'storage-health' });
    this.#resumeFreeBytes = params.resumeFreeBytes ?? defaultResumeFreeBytes;
    this.#probeEveryMs = params.probeEveryMs ?? defaultProbeEveryMs;
  }

  get full(): boolean {
    return this.#fullSince !== undefined;
  }

  /** The typed error a refused write answers with. */
  refusal(detail = 'the data directory is full'): StarError {
    return new StarError('InsufficientStorage', `this node cannot persist: ${detail}`);
  }

  /** A store write failed for want of space: mark the node full (once) and start probing. */
  markFull(error: unknown): void {
    if (this.#fullSince !== undefined) return;
    this.#fullSince = performance.now();
    this.#logger.error(
      { err: error, dataDir: this.#dataDir, freeBytes: this.freeBytes() },
      'data directory full: refusing writes and letting the read lease lapse until space returns',
    );
    this.#timer = setInterval(() => this.#probe(), this.#probeEveryMs);
    this.#timer.unref();
  }

  freeBytes(): number | undefined {
    try {
      const stats = statfsSync(this.#dataDir);
      return stats.bavail * stats.bsize;
    } catch {
      return undefined;
    }
  }

  #probe(): void {
    const free = this.freeBytes();
    if (free === undefined || free < this.#resumeFreeBytes) return;
    const fullForMs = Math.round(performance.now() - (this.#fullSince ?? 0));
    this.#fullSince = undefined;
    clearInterval(this.#timer);
    this.#logger.info(
      { freeBytes: free, fullForMs },
      'data directory has room again: persisting and renewing',
    );
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
