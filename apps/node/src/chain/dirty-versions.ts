import type { LogEntry } from '@star/protocol';

/**
 * The uncommitted suffix of a replica's log, in memory: entries with seq above the commit point,
 * indexed by key so a read can tell whether a key is dirty and find its newest version at or below
 * a commit point (CRAQ), and indexed by request id so a retried write finds its pending entry.
 */
export class DirtyVersions {
  /** In seq order (appended in order, removed from the front). */
  readonly #entries: LogEntry[] = [];
  readonly #byKey = new Map<string, LogEntry[]>();
  readonly #byRequest = new Map<string, LogEntry>();

  get size(): number {
    return this.#entries.length;
  }

  get keyCount(): number {
    return this.#byKey.size;
  }

  get lastSeq(): number {
    return this.#entries.at(-1)?.seq ?? 0;
  }

  add(entry: LogEntry): void {
    const last = this.#entries.at(-1);
    if (last !== undefined && entry.seq <= last.seq) {
      throw new Error(`dirty entry ${entry.seq} is not after ${last.seq}`);
    }
    this.#entries.push(entry);
    const versions = this.#byKey.get(entry.key);
    if (versions) versions.push(entry);
    else this.#byKey.set(entry.key, [entry]);
    if (entry.clientId !== undefined && entry.requestId !== undefined) {
      this.#byRequest.set(requestKey(entry.clientId, entry.requestId), entry);
    }
  }

  newest(key: string): LogEntry | undefined {
    return this.#byKey.get(key)?.at(-1);
  }

  /** The newest version of `key` with seq <= `seq`, if the dirty suffix holds one. */
  newestAtOrBelow(key: string, seq: number): LogEntry | undefined {
    const versions = this.#byKey.get(key);
    if (versions === undefined) return undefined;
    for (let i = versions.length - 1; i >= 0; i--) {
      const entry = versions[i]!;
      if (entry.seq <= seq) return entry;
    }
    return undefined;
  }

  byRequest(clientId: string, requestId: number): LogEntry | undefined {
    return this.#byRequest.get(requestKey(clientId, requestId));
  }

  /** Entries with seq >= `fromSeq`, at most `limit`. */
  from(fromSeq: number, limit: number): LogEntry[] {
    const first = this.#entries[0];
    if (first === undefined) return [];
    const start = Math.max(0, fromSeq - first.seq);
    return this.#entries.slice(start, start + limit);
  }

  /** First seq held, or undefined when empty. */
  get firstSeq(): number | undefined {
    return this.#entries[0]?.seq;
  }

  /** Removes and returns the entries with seq <= `seq` (they just committed). */
  /** The entries with seq <= `seq`, oldest first, left in place (a commit that may still fail). */
  peekUpTo(seq: number): LogEntry[] {
    let count = 0;
    while (count < this.#entries.length && this.#entries[count]!.seq <= seq) count++;
    return this.#entries.slice(0, count);
  }

  takeUpTo(seq: number): LogEntry[] {
    let count = 0;
    while (count < this.#entries.length && this.#entries[count]!.seq <= seq) count++;
    const taken = this.#entries.splice(0, count);
    for (const entry of taken) {
      const versions = this.#byKey.get(entry.key)!;
      versions.shift();
      if (versions.length === 0) this.#byKey.delete(entry.key);
      if (entry.clientId !== undefined && entry.requestId !== undefined) {
        this.#byRequest.delete(requestKey(entry.clientId, entry.requestId));
      }
    }
    return taken;
  }

  /** Drops entries with seq > `seq` (a diverged suffix being truncated). */
  dropAfter(seq: number): void {
    while (this.#entries.length > 0 && this.#entries.at(-1)!.seq > seq) {
      const entry = this.#entries.pop()!;
      const versions = this.#byKey.get(entry.key)!;
      versions.pop();
      if (versions.length === 0) this.#byKey.delete(entry.key);
      if (entry.clientId !== undefined && entry.requestId !== undefined) {
        this.#byRequest.delete(requestKey(entry.clientId, entry.requestId));
      }
    }
  }
}

function requestKey(clientId: string, requestId: number): string {
  return `${clientId}\u0000${requestId}`;
}
