import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ManagerImages } from '../images/manager-images.js';
import type { Journal } from '../journal/index.js';
import { type MetadataEntry, metadataEntryProblem } from './journal-entries.js';
import { MetadataState } from './metadata-state.js';
import { compareIds } from './stream-ids.js';

/** Wait between tries of the trim check while Redis does not answer. */
const TRIM_CHECK_RETRY_MS = 250;

export interface MetadataStoreEvents {
  applied: [entry: MetadataEntry, id: string];
  /** The state was replaced from an image: followers of changes must take it whole. */
  rebuilt: [];
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
  readonly #images: ManagerImages | undefined;
  /** The image the state was last rebuilt from (undefined: from the journal alone). */
  loadedImage: string | undefined;
  /** A rebuild in progress after a primary change; the tail waits for it. */
  #rebuilding: Promise<void> | undefined;

  constructor(journal: Journal<MetadataEntry>, logger: Logger, images?: ManagerImages) {
    super();
    this.#journal = journal;
    this.#images = images;
    this.#logger = logger.child({ component: 'metadata' });
  }

  /**
   * Rebuilds the state from the newest image that verifies plus the journal after it, then follows
   * the journal. Throws if the journal was trimmed and no image covering the trim point verifies.
   */
  async start(): Promise<void> {
    await this.#rebuild();
    void this.#journal.tail(
      this.state.lastEntryId,
      async (batch) => {
        await this.#rebuildIfTrimmedPast();
        // A rebuild after a primary change replays from the start: applying a newer entry meanwhile
        // would make it skip everything in between.
        while (this.#rebuilding) await this.#rebuilding;
        for (const { id, entry } of batch) this.#apply(entry, id);
      },
      this.#stop.signal,
    );
  }

  /**
   * Entries between our position and the trim point are gone (this manager fell far behind, e.g.
   * paused): applying the next batch would skip them, so rebuild from an image first. Redis may not
   * answer just now (a failover, a closed connection): retry until it does rather than fail the
   * tail, whose rejection would take the whole manager down (found by sentinel-primary-isolated).
   */
  async #rebuildIfTrimmedPast(): Promise<void> {
    for (;;) {
      try {
        if (compareIds(await this.#journal.trimmedTo(), this.state.lastEntryId) > 0) await this.#rebuild();
        return;
      } catch (error) {
        if (this.#stop.signal.aborted) throw error;
        this.#logger.warn({ err: error }, 'journal trim check failed; retrying');
        await delay(TRIM_CHECK_RETRY_MS, undefined, { signal: this.#stop.signal }).catch(() => undefined);
      }
    }
  }

  async #rebuild(): Promise<void> {
    const started = performance.now();
    const trimmedTo = await this.#journal.trimmedTo();
    const image = await this.#images?.newestValid(trimmedTo === '0' ? {} : { atLeast: trimmedTo });
    if (image === undefined && trimmedTo !== '0') {
      throw new Error(
        `the journal is trimmed up to ${trimmedTo} and no manager image covering it verifies; ` +
          'restore one into the image store (see docs/operations.md)',
      );
    }
    if (image !== undefined) {
      this.state.restore(image.state);
      this.loadedImage = image.manifest.name;
      this.#releaseWaiters(this.state.lastEntryId);
    }
    const fromImage = this.state.entriesApplied;
    await this.#journal.replayFrom(this.state.lastEntryId, (entry, id) => this.#apply(entry, id));
    this.#logger.info(
      {
        image: image?.manifest.name ?? null,
        imageEntries: fromImage,
        replayed: this.state.entriesApplied - fromImage,
        ms: Math.round(performance.now() - started),
      },
      image ? 'metadata rebuilt from an image and the journal after it' : 'metadata rebuilt from the journal',
    );
    this.emit('rebuilt');
  }

  stop(): void {
    this.#stop.abort();
  }

  /**
   * After the control plane's primary changed (a failover): if the entry the state was last built
   * to is not in the journal there, the state holds an append a replica never received (its WAIT
   * failed, so nothing acted on it) and the failover lost it; rebuild from the journal as it is now.
   * Returns whether it rebuilt.
   */
  async reconcileWithJournal(): Promise<boolean> {
    const last = this.state.lastEntryId;
    if (last === '0' || compareIds(await this.#journal.trimmedTo(), last) >= 0) return false;
    if ((await this.#journal.readRange(previousOf(last), last, 1)).some((record) => record.id === last))
      return false;
    this.#logger.warn(
      { lastEntryId: last },
      'the journal on the new Redis primary lacks the last entry applied (not replicated before the failover); rebuilding',
    );
    this.#rebuilding = (async () => {
      this.state.restore(new MetadataState().snapshot());
      await this.#rebuild();
    })().finally(() => {
      this.#rebuilding = undefined;
    });
    await this.#rebuilding;
    return true;
  }

  /**
   * Resolves once the entry with this stream id (or a later one) has been applied; rejects with
   * the signal's reason if `signal` aborts first (the waiter is dropped).
   */
  waitFor(id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (compareIds(this.state.lastEntryId, id) >= 0) return Promise.resolve();
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter = {
        id,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #apply(entry: MetadataEntry, id: string): void {
    if (compareIds(id, this.state.lastEntryId) <= 0) return;
    const problem = metadataEntryProblem(entry);
    if (problem !== undefined) {
      this.#logger.error(
        { code: 'MalformedControlPlane', entryId: id, problem },
        'journal entry malformed; skipped',
      );
      this.state.skip(id);
    } else this.state.apply(entry, id);
    this.emit('applied', entry, id);
    this.#releaseWaiters(id);
  }

  #releaseWaiters(id: string): void {
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i]!;
      if (compareIds(id, waiter.id) >= 0) {
        this.#waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}

export { compareIds };

/** An id just before `id`, for an inclusive single-entry XRANGE through the exclusive readRange. */
function previousOf(id: string): string {
  const [ms, seq] = id.split('-').map(BigInt) as [bigint, bigint];
  return seq > 0n ? `${ms}-${seq - 1n}` : `${ms - 1n}-18446744073709551615`;
}
