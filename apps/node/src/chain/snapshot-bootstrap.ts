import { randomBytes } from 'node:crypto';
import { copyFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { failpoint, type ShardSnapshots, sha256Of } from '@star/core';
import { type ChainConfig, type ShardSnapshotManifest, StarError } from '@star/protocol';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { ShardDirectory } from '../storage/shard-directory.js';
import { prepareReplicaDatabase, removeDatabaseFiles } from '../storage/shard-snapshot.js';
import type { ReplicaSet } from './replica-set.js';

/**
 * Seeds replicas from shard snapshots in the image store (DESIGN §3.7, §5):
 * - a replica placed on this node as a new member (not head) of an existing chain starts from the
 *   newest snapshot that verifies, so its predecessor sends only the entries after the snapshot's
 *   seq instead of the whole log;
 * - a replica whose predecessor no longer holds the entries it needs (trimmed) is re-seeded from a
 *   snapshot at least that new.
 */
export class SnapshotBootstrap {
  readonly #snapshots: ShardSnapshots;
  readonly #directory: ShardDirectory;
  readonly #nodeId: string;
  readonly #logger: Logger;
  readonly #installs: Counter<'shard' | 'reason'>;

  constructor(params: {
    snapshots: ShardSnapshots;
    directory: ShardDirectory;
    nodeId: string;
    logger: Logger;
    metrics: Registry;
  }) {
    this.#snapshots = params.snapshots;
    this.#directory = params.directory;
    this.#nodeId = params.nodeId;
    this.#logger = params.logger.child({ component: 'snapshot-bootstrap' });
    this.#installs = new Counter({
      name: 'star_node_snapshot_installs_total',
      help: 'Shard replicas seeded from a snapshot, by reason (bootstrap of a new replica, reseed)',
      labelNames: ['shard', 'reason'] as const,
      registers: [params.metrics],
    });
  }

  /** Before a replica this node does not hold opens: start it from a snapshot if it joins a chain. */
  async prepareNew(config: ChainConfig): Promise<void> {
    if (this.#directory.list().includes(config.shard)) return;
    // The head of a new chain (or a non-member) has nobody to catch up from: it starts empty.
    if (config.chain.findIndex((member) => member.id === this.#nodeId) <= 0) return;
    const manifest = await this.#newest(config.shard, 0);
    if (manifest === undefined) return;
    await this.#install(manifest, 'bootstrap');
  }

  /** Replaces the replica of `shard` with a snapshot at `minSeq` or later. */
  async reseed(replicas: ReplicaSet, shard: number, minSeq: number): Promise<{ lastSeq: number }> {
    const manifest = await this.#newest(shard, minSeq);
    if (manifest === undefined) {
      throw new StarError(
        'Unavailable',
        `shard ${shard} needs a snapshot at seq ${minSeq} or later to re-seed, and the image store has none yet`,
      );
    }
    await replicas.rebuild(shard, async () => {
      this.#directory.remove(shard);
      await this.#install(manifest, 'reseed');
    });
    return { lastSeq: replicas.get(shard).lastSeq };
  }

  async #newest(shard: number, minSeq: number): Promise<ShardSnapshotManifest | undefined> {
    return this.#snapshots.newestValid(shard, minSeq, (manifest, reason) =>
      this.#logger.error(
        { shard, snapshot: manifest.name, reason },
        'shard snapshot does not verify; skipping it',
      ),
    );
  }

  /** Copies the snapshot next to the shard's file, checks it, prepares it, renames it into place. */
  async #install(manifest: ShardSnapshotManifest, reason: 'bootstrap' | 'reseed'): Promise<void> {
    const started = performance.now();
    const target = this.#directory.pathOf(manifest.shard);
    const temp = join(
      this.#directory.dataDir,
      `.bootstrap-${manifest.shard}-${randomBytes(4).toString('hex')}.sqlite`,
    );
    try {
      await copyFile(this.#snapshots.area(manifest.shard).pathOf(manifest.name), temp);
      const sha256 = await sha256Of(temp);
      if (sha256 !== manifest.sha256) {
        throw new StarError(
          'Unavailable',
          `copy of ${manifest.name} has SHA-256 ${sha256}, not ${manifest.sha256}`,
        );
      }
      const point = prepareReplicaDatabase(temp);
      if (point.seq !== manifest.seq) {
        throw new StarError(
          'Unavailable',
          `${manifest.name} holds seq ${point.seq}, its manifest says ${manifest.seq}`,
        );
      }
      await failpoint('node.during-snapshot-install', manifest.shard);
      removeDatabaseFiles(target);
      await rename(temp, target);
    } catch (error) {
      removeDatabaseFiles(temp);
      throw error;
    }
    this.#installs.inc({ shard: String(manifest.shard), reason });
    this.#logger.info(
      {
        shard: manifest.shard,
        snapshot: manifest.name,
        seq: manifest.seq,
        bytes: manifest.bytes,
        reason,
        ms: Math.round(performance.now() - started),
      },
      'replica seeded from a shard snapshot; catching up from its predecessor after that seq',
    );
  }
}
