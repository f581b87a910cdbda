import { Value } from '@sinclair/typebox/value';
import { ShardSnapshotManifest } from '@star/protocol';
import type { ImageArea, ImageStore } from './image-store.js';

const isManifest = (value: unknown): value is ShardSnapshotManifest =>
  Value.Check(ShardSnapshotManifest, value);

export function shardSnapshotName(seq: number): string {
  return `snapshot.${seq}`;
}

/**
 * Snapshots of shards in the image store: `shards/<id>/snapshot.<seq>`, each a SQLite database
 * holding the shard's committed state at `seq`, with its manifest. Written by checkpointers, read
 * by nodes that bootstrap or re-seed a replica, listed by the manager.
 */
export class ShardSnapshots {
  constructor(readonly store: ImageStore) {}

  area(shard: number): ImageArea {
    return this.store.shardSnapshots(shard);
  }

  /** Snapshots of `shard` with a manifest, newest (highest seq) first. Not verified. */
  async list(shard: number): Promise<ShardSnapshotManifest[]> {
    const manifests = await this.area(shard).manifests(isManifest);
    return manifests.filter((manifest) => manifest.shard === shard).sort((a, b) => b.seq - a.seq);
  }

  /** Every shard's snapshots, by shard id. */
  async listAll(): Promise<Map<number, ShardSnapshotManifest[]>> {
    const all = new Map<number, ShardSnapshotManifest[]>();
    for (const shard of await this.store.snapshotShards()) all.set(shard, await this.list(shard));
    return all;
  }

  /** The newest snapshot of `shard` with seq >= `minSeq` whose bytes match its manifest. */
  async newestValid(
    shard: number,
    minSeq = 0,
    onCorrupt?: (manifest: ShardSnapshotManifest, reason: string) => void,
  ): Promise<ShardSnapshotManifest | undefined> {
    for (const manifest of await this.list(shard)) {
      if (manifest.seq < minSeq) break;
      const verdict = await this.area(shard).verify(manifest);
      if (verdict.ok) return manifest;
      onCorrupt?.(manifest, verdict.reason);
    }
    return undefined;
  }

  /** Keeps the newest `keep` snapshots of `shard`; returns the names removed. */
  async retain(shard: number, keep: number): Promise<string[]> {
    const stale = (await this.list(shard)).slice(Math.max(1, keep));
    for (const manifest of stale) await this.area(shard).remove(manifest.name);
    return stale.map((manifest) => manifest.name);
  }
}
