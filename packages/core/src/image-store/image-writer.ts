import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from './fs-sync.js';

/**
 * Writes one file into the image store so that no reader ever sees it half-written: the bytes go
 * to a temp name in the same directory, are fsynced, and only then renamed to the final name (an
 * atomic step on one filesystem), and the directory is fsynced so the rename survives a crash.
 * Computes the SHA-256 and size on the way.
 */
export class ImageWriter {
  readonly finalPath: string;
  readonly tempPath: string;
  readonly #hash = createHash('sha256');
  #handle: FileHandle | undefined;
  #bytes = 0;

  private constructor(
    readonly directory: string,
    readonly name: string,
  ) {
    this.finalPath = join(directory, name);
    this.tempPath = join(directory, `${tempPrefix(name)}${randomBytes(6).toString('hex')}`);
  }

  static async create(directory: string, name: string): Promise<ImageWriter> {
    const writer = new ImageWriter(directory, name);
    writer.#handle = await open(writer.tempPath, 'wx');
    return writer;
  }

  get bytes(): number {
    return this.#bytes;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#handle === undefined) throw new Error(`${this.name}: writer already finished`);
    this.#hash.update(chunk);
    let offset = 0;
    while (offset < chunk.byteLength) {
      const { bytesWritten } = await this.#handle.write(chunk, offset, chunk.byteLength - offset);
      offset += bytesWritten;
    }
    this.#bytes += chunk.byteLength;
  }

  /** fsync, rename to the final name, fsync the directory; returns the checksum and size. */
  async commit(): Promise<{ sha256: string; bytes: number }> {
    const handle = this.#handle;
    if (handle === undefined) throw new Error(`${this.name}: writer already finished`);
    this.#handle = undefined;
    await handle.sync();
    await handle.close();
    await rename(this.tempPath, this.finalPath);
    await syncDirectory(this.directory);
    return { sha256: this.#hash.digest('hex'), bytes: this.#bytes };
  }

  /** Gives up: the temp file is removed and nothing appears under the final name. */
  async abort(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => {});
    await rm(this.tempPath, { force: true });
  }
}

/** Temp files of `name` start with this (dot first: never mistaken for a finished file). */
export function tempPrefix(name: string): string {
  return `.${name}.tmp-`;
}
