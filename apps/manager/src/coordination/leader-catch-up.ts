import { StarError } from '@star/protocol';
import type { Logger } from 'pino';
import type { Journal } from '../journal/index.js';
import type { MetadataEntry } from '../metadata/journal-entries.js';
import type { MetadataStore } from '../metadata/metadata-store.js';

/**
 * A change refused or abandoned because this manager's journal tail has not applied the journal
 * far enough in time (503 Unavailable: retryable). `details.journaled` names the entry when the
 * change was appended before the deadline passed: it takes effect once the tail applies it, so a
 * retry may find it done (a namespace that now exists answers 409).
 */
export class JournalLagError extends StarError {
  constructor(message: string, details: { waitingFor?: string; appliedUpTo: string; journaled?: string }) {
    super('Unavailable', message, { reason: 'journal-lag', ...details });
    this.name = 'JournalLagError';
  }
}

/**
 * Keeps the leader from acting on a state behind the journal. The leader's state moves only
 * through its own tail of the journal, so before every change it waits (within a deadline) until
 * the store has applied everything in the journal: after an election, the journal's end (read
 * from the stream: a follower's tail may lag, and a lagging `nextShardId` would hand out shard ids
 * again); afterwards, its own last append. `commit` appends and waits for the tail within the same
 * deadline. A deadline that passes fails that one change with a `JournalLagError` instead of
 * wedging the coordinator's serialized queue; the journal's end is then read again next time.
 */
export class LeaderCatchUp {
  readonly #journal: Journal<MetadataEntry>;
  readonly #store: MetadataStore;
  readonly #deadlineMs: number;
  readonly #logger: Logger;
  /** The entry the store must have applied before the next change; undefined: read the journal's end. */
  #target: string | undefined;

  constructor(params: {
    journal: Journal<MetadataEntry>;
    store: MetadataStore;
    /** How long one change may wait for the journal (its append plus the tail applying it). */
    deadlineMs: number;
    logger: Logger;
  }) {
    this.#journal = params.journal;
    this.#store = params.store;
    this.#deadlineMs = params.deadlineMs;
    this.#logger = params.logger.child({ component: 'catch-up' });
  }

  /** Newly elected (or unsure what was appended): the next change first catches up to the journal's end. */
  reset(): void {
    this.#target = undefined;
  }

  /** Resolves once the store holds everything journaled; a JournalLagError after the deadline. */
  async ready(): Promise<void> {
    const signal = AbortSignal.timeout(this.#deadlineMs);
    if (this.#target === undefined) {
      const started = performance.now();
      // An append whose replica acks failed may be in the stream (and applied): act on nothing until
      // the replicas hold all of it, or a failover could lose what we acted on.
      await this.#within(this.#journal.confirmReplicated(), signal, 'confirming the journal is replicated');
      const end = (await this.#within(this.#journal.lastId(), signal, 'reading the journal end')) ?? '0';
      await this.#applied(end, signal);
      this.#target ??= end;
      this.#logger.info(
        { journalEnd: end, ms: Math.round(performance.now() - started) },
        "caught up to the journal's end",
      );
      return;
    }
    await this.#applied(this.#target, signal);
  }

  /** Appends under `token` and resolves once the store applied the entries, within the deadline. */
  async commit(token: number, entries: MetadataEntry[]): Promise<void> {
    const signal = AbortSignal.timeout(this.#deadlineMs);
    let ids: string[];
    try {
      ids = await this.#within(this.#journal.append(token, entries), signal, 'appending to the journal');
    } catch (error) {
      // The append may have reached the stream all the same: know the end again before acting.
      this.#target = undefined;
      throw error;
    }
    const last = ids.at(-1)!;
    this.#target = last;
    await this.#applied(last, signal, last);
  }

  async #applied(id: string, signal: AbortSignal, journaled?: string): Promise<void> {
    try {
      await this.#store.waitFor(id, { signal });
    } catch (error) {
      if (!signal.aborted) throw error;
      const appliedUpTo = this.#store.state.lastEntryId;
      this.#logger.warn(
        { waitingFor: id, appliedUpTo, deadlineMs: this.#deadlineMs },
        'journal tail behind: change refused',
      );
      throw new JournalLagError(
        journaled === undefined
          ? `this manager's state is behind the journal (applied ${appliedUpTo}, journal at ${id}); retry`
          : `change journaled as ${id} but not applied within ${this.#deadlineMs} ms; it takes effect once ` +
              'the journal tail catches up (check before retrying)',
        { waitingFor: id, appliedUpTo, ...(journaled === undefined ? {} : { journaled }) },
      );
    }
  }

  /** `promise` unless `signal` aborts first (a Redis call on a dead connection can hang). */
  async #within<T>(promise: Promise<T>, signal: AbortSignal, doing: string): Promise<T> {
    promise.catch(() => {});
    const aborted = new Promise<never>((_, reject) => {
      const fail = () =>
        reject(
          new JournalLagError(`${doing} got no answer within ${this.#deadlineMs} ms; retry`, {
            appliedUpTo: this.#store.state.lastEntryId,
          }),
        );
      if (signal.aborted) fail();
      else signal.addEventListener('abort', fail, { once: true });
    });
    return Promise.race([promise, aborted]);
  }
}
