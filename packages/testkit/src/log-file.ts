import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where a process's log goes when the caller names no file: $STAR_LOG_DIR, else <tmp>/star-logs. */
export function defaultLogFile(processName: string): string {
  const dir = process.env.STAR_LOG_DIR ?? join(tmpdir(), 'star-logs');
  const safeName = processName.replace(/[^A-Za-z0-9._-]+/g, '_');
  return join(dir, `${safeName}-${Date.now()}-${randomBytes(3).toString('hex')}.log`);
}
