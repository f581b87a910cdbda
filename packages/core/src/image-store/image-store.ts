import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from './fs-sync.js';
import { ImageWriter, tempPrefix } from './image-writer.js';

/** The fields every manifest has; each kind adds its own. */
export interface StoredFile {
  name: string;
  bytes: number;
  sha256: string;
  formatVersion: number;
  createdAt: number;
}

const manifestSuffix = '.manifest.json';

/**
 * Where checkpoints live (DESIGN §5): manager images and shard snapshots with their manifests. This
 * is the directory implementation (the default); it is shared by managers, checkpointers and nodes,
 * so in a multi-machine deployment it is a shared volume. Each kind of checkpoint has its own area
 * (a subdirectory). A file counts as stored only once its manifest exists, and the manifest is
 * written after the file is complete, fsynced and renamed into place.
 */
export class ImageStore {
  constructor(readonly root: string) {}

  area(path: string): ImageArea {
    return new ImageArea(join(this.root, path));
  }

  /** Manager images. */
  managerImages(): ImageArea {
    return this.area('manager');
  }

  /** Snapshots of one shard. */
  shardSnapshots(shard: number): ImageArea {
    return this.area(join('shards', String(shard)));
  }

  /** Ids of every shard with a snapshot area. */
  async snapshotShards(): Promise<number[]> {
    const names = await readdir(join(this.root, 'shards')).catch(() => [] as string[]);
    return names
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .sort((a, b) => a - b);
  }
}

/** One directory of the store: files, each with a `<name>.manifest.json` beside it. */
export class ImageArea {
  constructor(readonly directory: string) {}

  pathOf(name: string): string {
    return join(this.directory, name);
  }

  /** Starts writing `name`; leftovers of an earlier, interrupted write of it are removed first. */
  async begin(name: string): Promise<ImageWriter> {
    await mkdir(this.directory, { recursive: true });
    await this.removeTemps(name);
    return ImageWriter.create(this.directory, name);
  }

  /**
   * Completes a write: the file goes under its final name, then its manifest (the same way), so a
   * manifest always describes a complete file.
   */
  async publish<M extends StoredFile>(
    writer: ImageWriter,
    fields: Omit<M, keyof StoredFile> & { formatVersion: number; createdAt?: number },
  ): Promise<M> {
    const { sha256, bytes } = await writer.commit();
    const manifest = {
      ...fields,
      name: writer.name,
      bytes,
      sha256,
      createdAt: fields.createdAt ?? Date.now(),
    } as unknown as M;
    const manifestWriter = await ImageWriter.create(this.directory, `${writer.name}${manifestSuffix}`);
    await manifestWriter.write(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
    await manifestWriter.commit();
    return manifest;
  }

  /** Every manifest here that passes `check` (others are skipped: unreadable or of another kind). */
  async manifests<M extends StoredFile>(check: (value: unknown) => value is M): Promise<M[]> {
    const names = await readdir(this.directory).catch(() => [] as string[]);
    const manifests: M[] = [];
    for (const name of names) {
      if (!name.endsWith(manifestSuffix) || name.startsWith('.')) continue;
      try {
        const value: unknown = JSON.parse(await readFile(join(this.directory, name), 'utf8'));
        if (check(value) && `${value.name}${manifestSuffix}` === name) manifests.push(value);
      } catch {
        // An unreadable manifest describes nothing usable; it is left for an operator to look at.
      }
    }
    return manifests;
  }

  /** Whether the file matches its manifest: present, same size, same SHA-256. */
  async verify(manifest: StoredFile): Promise<{ ok: true } | { ok: false; reason: string }> {
    const path = this.pathOf(manifest.name);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) return { ok: false, reason: 'file missing' };
    if (info.size !== manifest.bytes) {
      return { ok: false, reason: `size ${info.size} differs from the manifest's ${manifest.bytes}` };
    }
    const sha256 = await sha256Of(path);
    if (sha256 !== manifest.sha256) {
      return { ok: false, reason: `SHA-256 ${sha256} differs from the manifest's ${manifest.sha256}` };
    }
    return { ok: true };
  }

  /** Removes a stored file: its manifest first, so it stops counting before its bytes go. */
  async remove(name: string): Promise<void> {
    await rm(this.pathOf(`${name}${manifestSuffix}`), { force: true });
    await rm(this.pathOf(name), { force: true });
    await syncDirectory(this.directory).catch(() => {});
  }

  /** Removes temp files of interrupted writes of `name`. */
  async removeTemps(name: string): Promise<void> {
    const prefixes = [tempPrefix(name), tempPrefix(`${name}${manifestSuffix}`)];
    const names = await readdir(this.directory).catch(() => [] as string[]);
    for (const entry of names) {
      if (prefixes.some((prefix) => entry.startsWith(prefix))) {
        await rm(join(this.directory, entry), { force: true });
      }
    }
  }

  /** Every file name here, temp files included (for tests and operators). */
  async files(): Promise<string[]> {
    return (await readdir(this.directory).catch(() => [] as string[])).sort();
  }
}

/** SHA-256 of a file, read as a stream. */
export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
