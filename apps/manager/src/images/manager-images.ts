import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Value } from '@sinclair/typebox/value';
import type { ImageArea, ImageStore } from '@star/core';
import { CheckpointFormats, ManagerImageManifest } from '@star/protocol';
import { type Logger, pino } from 'pino';
import { canonicalJson, type MetadataSnapshot } from '../metadata/metadata-state.js';
import { compareIds } from '../metadata/stream-ids.js';

/** What an image file holds: the format it is written in and the state. */
interface ManagerImageFile {
  formatVersion: number;
  state: MetadataSnapshot;
}

export interface ImageWriteOptions {
  /** Bytes per write call (default 64 KiB). */
  chunkBytes?: number;
  /** Awaited before each chunk with the bytes written so far: progress reports, rate limits. */
  beforeChunk?: (bytesWritten: number, totalBytes: number) => Promise<void> | void;
}

export interface LoadedImage {
  manifest: ManagerImageManifest;
  state: MetadataSnapshot;
}

const isManifest = (value: unknown): value is ManagerImageManifest =>
  Value.Check(ManagerImageManifest, value);

export function managerImageName(journalId: string): string {
  return `image.${journalId}`;
}

/**
 * Manager images in the image store (DESIGN §5): `image.<journal id>`, the canonical JSON of the
 * metadata as of that journal entry, with a manifest (journal id, format version, SHA-256). The
 * manager loads them at start-up; checkpointers write them. An image is trusted only if its bytes
 * match its manifest's checksum.
 */
export class ManagerImages {
  readonly area: ImageArea;
  readonly #logger: Logger;

  constructor(store: ImageStore, logger?: Logger) {
    this.area = store.managerImages();
    this.#logger = (logger ?? pino({ level: 'silent' })).child({ component: 'manager-images' });
  }

  /** Every image with a manifest, newest (highest journal id) first. Not verified. */
  async list(): Promise<ManagerImageManifest[]> {
    const manifests = await this.area.manifests(isManifest);
    return manifests.sort((a, b) => compareIds(b.journalId, a.journalId));
  }

  /** Writes `image.<journalId>` of `state`: temp file, fsync, rename, then the manifest. */
  async write(state: MetadataSnapshot, options: ImageWriteOptions = {}): Promise<ManagerImageManifest> {
    const file: ManagerImageFile = { formatVersion: CheckpointFormats.managerImage, state };
    const bytes = Buffer.from(canonicalJson(file));
    const chunkBytes = options.chunkBytes ?? 64 * 1024;
    const writer = await this.area.begin(managerImageName(state.journalId));
    try {
      for (let offset = 0; offset < bytes.length; offset += chunkBytes) {
        await options.beforeChunk?.(offset, bytes.length);
        await writer.write(bytes.subarray(offset, offset + chunkBytes));
      }
      await options.beforeChunk?.(bytes.length, bytes.length);
      return await this.area.publish<ManagerImageManifest>(writer, {
        kind: 'manager-image',
        formatVersion: CheckpointFormats.managerImage,
        journalId: state.journalId,
        entries: state.entries,
      });
    } catch (error) {
      await writer.abort();
      throw error;
    }
  }

  /** Reads an image, checking its bytes against the manifest; throws naming what is wrong. */
  async load(manifest: ManagerImageManifest): Promise<LoadedImage> {
    const bytes = await readFile(this.area.pathOf(manifest.name));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (bytes.length !== manifest.bytes || sha256 !== manifest.sha256) {
      throw new Error(
        `${manifest.name}: ${bytes.length} bytes with SHA-256 ${sha256}, the manifest says ${manifest.bytes} bytes with ${manifest.sha256}`,
      );
    }
    const file = JSON.parse(bytes.toString('utf8')) as ManagerImageFile;
    if (file.formatVersion !== CheckpointFormats.managerImage) {
      throw new Error(`${manifest.name}: format ${file.formatVersion} is not one this build reads`);
    }
    if (file.state?.journalId !== manifest.journalId) {
      throw new Error(
        `${manifest.name}: holds journal id ${file.state?.journalId}, not ${manifest.journalId}`,
      );
    }
    return { manifest, state: file.state };
  }

  /**
   * The newest image that verifies, among those covering at least `atLeast` (the journal's trim
   * point: an older image cannot be replayed forward) and at most `atMost`. A corrupt image is
   * logged and skipped, never trusted.
   */
  async newestValid(bounds: { atLeast?: string; atMost?: string } = {}): Promise<LoadedImage | undefined> {
    for (const manifest of await this.list()) {
      if (bounds.atMost !== undefined && compareIds(manifest.journalId, bounds.atMost) > 0) continue;
      if (bounds.atLeast !== undefined && compareIds(manifest.journalId, bounds.atLeast) < 0) break;
      try {
        return await this.load(manifest);
      } catch (error) {
        this.#logger.error(
          { err: error, image: manifest.name },
          'manager image does not verify; falling back to an older one',
        );
      }
    }
    return undefined;
  }

  /** Keeps the newest `keep` images and removes the others; returns the names removed. */
  async retain(keep: number): Promise<string[]> {
    const stale = (await this.list()).slice(Math.max(1, keep));
    for (const manifest of stale) await this.area.remove(manifest.name);
    return stale.map((manifest) => manifest.name);
  }
}
