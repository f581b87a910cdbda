import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Journal } from '../journal/index.js';
import type { MetadataEntry } from './journal-entries.js';
import { MetadataState } from './metadata-state.js';

export interface MetadataStoreEvents {
  applied: [entry: MetadataEntry, id: string];
}

/**
 * The state every manager holds: rebuilt from the journal at start-up, then kept current by tailing
 * it. Leader and followers apply entries by the same path, in journal order — the leader's own
 * writes reach its state through the tail too, so there is one way state changes.
 */
export class MetadataStore extends EventEmitter<MetadataStoreEvents> {
  readonly state = new MetadataState();
  readonly #journal: Journal<MetadataEntry>;
  readonly #logger: Logger;
  readonly #stop = new AbortController();
  readonly #waiters: { id: string; resolve: () => void }[] = [];

  constructor(journal: Journal<MetadataEntry>, logger: Logger) {
    super();
    this.#journal = journal;
    this.#logger = logger.child({ component: 'metadata' });
  }

  /** Replays the journal from its start (later: from the newest image), then follows it. */
  async start(): Promise<void> {
    const started = performance.now();
    await this.#journal.replay((entry, id) => this.#apply(entry, id));
    this.#logger.info(
      { entries: this.state.entriesApplied, ms: Math.round(performance.now() - started) },
      'metadata rebuilt from the journal',
    );
    void this.#journal.tail(
      this.state.lastEntryId,
      (batch) => {
        for (const { id, entry } of batch) this.#apply(entry, id);
      },
      this.#stop.signal,
    );
  }

  stop(): void {
    this.#stop.abort();
  }

  /** Resolves once the entry with this stream id (or a later one) has been applied. */
  waitFor(id: string): Promise<void> {
    if (compareIds(this.state.lastEntryId, id) >= 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ id, resolve }));
  }

  #apply(entry: MetadataEntry, id: string): void {
    if (compareIds(id, this.state.lastEntryId) <= 0) return;
    this.state.apply(entry, id);
    this.emit('applied', entry, id);
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i]!;
      if (compareIds(id, waiter.id) >= 0) {
        this.#waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}

/** Orders Redis stream ids (`<ms>-<seq>`). */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am === bm ? as - bs : am - bm;
}
