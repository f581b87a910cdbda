import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageStore, type StoredFile } from './image-store.js';

interface TestManifest extends StoredFile {
  kind: 'test';
  label: string;
}
const isTest = (value: unknown): value is TestManifest => (value as TestManifest)?.kind === 'test';

describe('ImageStore (directory)', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'image-store-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('shows a file under its final name only once complete, with a manifest that verifies', async () => {
    const area = new ImageStore(root).area('manager');
    const writer = await area.begin('image.1-0');
    await writer.write(Buffer.from('hello '));
    // Mid-write: only a dot-prefixed temp file exists, and no manifest.
    expect((await area.files()).every((name) => name.startsWith('.image.1-0.tmp-'))).toBe(true);
    expect(await area.manifests(isTest)).toEqual([]);
    await writer.write(Buffer.from('world'));
    const manifest = await area.publish<TestManifest>(writer, { kind: 'test', label: 'a', formatVersion: 1 });
    expect(manifest).toMatchObject({
      name: 'image.1-0',
      bytes: 11,
      // sha256("hello world")
      sha256: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9',
    });
    expect(await area.files()).toEqual(['image.1-0', 'image.1-0.manifest.json']);
    expect(await area.manifests(isTest)).toEqual([manifest]);
    expect(await area.verify(manifest)).toEqual({ ok: true });
  });

  it('detects a corrupted or truncated file', async () => {
    const area = new ImageStore(root).area('manager');
    const writer = await area.begin('image.2-0');
    await writer.write(Buffer.from('abcdef'));
    const manifest = await area.publish<TestManifest>(writer, { kind: 'test', label: 'b', formatVersion: 1 });
    await writeFile(area.pathOf('image.2-0'), 'abcdeX');
    expect(await area.verify(manifest)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/SHA-256/),
    });
    await writeFile(area.pathOf('image.2-0'), 'abc');
    expect(await area.verify(manifest)).toMatchObject({ ok: false, reason: expect.stringMatching(/size 3/) });
    await rm(area.pathOf('image.2-0'));
    expect(await area.verify(manifest)).toEqual({ ok: false, reason: 'file missing' });
  });

  it('aborts without leaving anything, and a new write of a name clears an interrupted one', async () => {
    const area = new ImageStore(root).area('shards/7');
    const aborted = await area.begin('snapshot.5');
    await aborted.write(Buffer.from('partial'));
    await aborted.abort();
    expect(await area.files()).toEqual([]);
    // A writer that died mid-write leaves its temp file behind; the next write of that name removes it.
    const dead = await area.begin('snapshot.5');
    await dead.write(Buffer.from('partial'));
    const retry = await area.begin('snapshot.5');
    expect((await readdir(area.directory)).length).toBe(1);
    await retry.write(Buffer.from('whole'));
    await area.publish<TestManifest>(retry, { kind: 'test', label: 'c', formatVersion: 1 });
    expect(await area.files()).toEqual(['snapshot.5', 'snapshot.5.manifest.json']);
    expect(await new ImageStore(root).snapshotShards()).toEqual([7]);
  });

  it('removes a file with its manifest, and skips manifests that are not of the asked kind', async () => {
    const area = new ImageStore(root).area('manager');
    const writer = await area.begin('image.3-0');
    await writer.write(Buffer.from('x'));
    await area.publish<TestManifest>(writer, { kind: 'test', label: 'd', formatVersion: 1 });
    await writeFile(area.pathOf('junk.manifest.json'), '{not json');
    expect(await area.manifests(isTest)).toHaveLength(1);
    await area.remove('image.3-0');
    expect(await area.files()).toEqual(['junk.manifest.json']);
    expect(await area.manifests(isTest)).toEqual([]);
  });
});
