import {
  compareIds,
  type Journal,
  type ManagerImages,
  type MetadataEntry,
  MetadataState,
  managerImageName,
} from '@star/manager/images';
import { type CheckpointJobResult, CheckpointJobs, type ManagerImageJob as JobData } from '@star/protocol';
import { type Job, UnrecoverableError } from 'bullmq';
import type { WriteThrottle } from '../write-throttle.js';
import type { CheckpointJobHandler, JobContext } from './job-context.js';

/**
 * Writes `image.X` (DESIGN §5): folds the newest verifying image and the journal after it up to
 * stream id X into the manager's state, writes it to the image store (temp, fsync, rename,
 * manifest), keeps the newest K images, and only then trims the journal up to the oldest image
 * kept — so every image kept can still be replayed forward, and no entry goes that no image holds.
 */
export class ManagerImageJob implements CheckpointJobHandler {
  readonly name = CheckpointJobs.managerImage;
  readonly #journal: Journal<MetadataEntry>;
  readonly #images: ManagerImages;
  readonly #keep: number;
  readonly #throttle: () => WriteThrottle;

  constructor(params: {
    journal: Journal<MetadataEntry>;
    images: ManagerImages;
    keep: number;
    throttle: () => WriteThrottle;
  }) {
    this.#journal = params.journal;
    this.#images = params.images;
    this.#keep = params.keep;
    this.#throttle = params.throttle;
  }

  async run(job: Job<JobData>, context: JobContext): Promise<CheckpointJobResult> {
    const journalId = job.data?.journalId;
    if (typeof journalId !== 'string' || !/^\d+-\d+$/.test(journalId)) {
      throw new UnrecoverableError(`job data names no journal stream id (got ${JSON.stringify(journalId)})`);
    }
    const trimmedTo = await this.#journal.trimmedTo();
    const newest = await this.#images.newestValid(trimmedTo === '0' ? {} : { atLeast: trimmedTo });
    if (newest !== undefined && compareIds(newest.manifest.journalId, journalId) >= 0) {
      // Already covered (this image was written by an earlier attempt, or a newer one exists).
      await this.#retainAndTrim();
      return { worker: context.worker, image: newest.manifest.name, alreadyCovered: true };
    }
    if (newest === undefined && trimmedTo !== '0') {
      throw new UnrecoverableError(
        `the journal is trimmed up to ${trimmedTo} and no image covering it verifies: cannot rebuild the state`,
      );
    }
    const state = new MetadataState();
    if (newest !== undefined) state.restore(newest.state);
    await this.#journal.replayRange(state.lastEntryId, journalId, (entry, id) => state.apply(entry, id));
    if (state.lastEntryId !== journalId) {
      throw new UnrecoverableError(
        `the journal holds no entry ${journalId} (replay ended at ${state.lastEntryId})`,
      );
    }
    const throttle = this.#throttle();
    let lastReport = 0;
    const manifest = await this.#images.write(state.snapshot(), {
      chunkBytes: throttle.chunkBytes(64 * 1024),
      beforeChunk: async (bytes, total) => {
        await throttle.pace(bytes);
        if (bytes === total || performance.now() - lastReport > 200) {
          lastReport = performance.now();
          await context.progress({ percent: total === 0 ? 100 : Math.floor((bytes / total) * 100), bytes });
        }
      },
    });
    const { removed, trimmedUpTo, entriesTrimmed } = await this.#retainAndTrim();
    context.logger.info(
      {
        image: manifest.name,
        bytes: manifest.bytes,
        base: newest?.manifest.name ?? null,
        removed,
        trimmedUpTo,
      },
      'manager image written',
    );
    return {
      worker: context.worker,
      image: managerImageName(journalId),
      bytes: manifest.bytes,
      sha256: manifest.sha256,
      base: newest?.manifest.name ?? null,
      removed,
      trimmedUpTo,
      entriesTrimmed,
    };
  }

  /** Keeps the newest K images, then trims the journal up to the oldest one kept. */
  async #retainAndTrim(): Promise<{ removed: string[]; trimmedUpTo: string | null; entriesTrimmed: number }> {
    const removed = await this.#images.retain(this.#keep);
    const oldest = (await this.#images.list()).at(-1);
    if (oldest === undefined) return { removed, trimmedUpTo: null, entriesTrimmed: 0 };
    const entriesTrimmed = await this.#journal.trimUpTo(oldest.journalId);
    return { removed, trimmedUpTo: oldest.journalId, entriesTrimmed };
  }
}
