import {
  type AppliedReport,
  type ChainConfig,
  ChainKeys,
  ControlPlaneCodecs,
  type NodeInfo,
  type Shard,
} from '@star/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { MetadataEntry } from '../metadata/journal-entries.js';
import type { MetadataState } from '../metadata/metadata-state.js';
import type { ChainPublisher } from './chain-publisher.js';

/** What one pass did, for logs and tests. */
export interface ReconcilePass {
  republished: number;
  /** Config keys of deleted shards removed (a leader died between the delete's journal entry and the key removal). */
  removed: number;
  retold: number;
  /** Term bumps to journal: shards whose published member addresses are out of date. */
  entries: MetadataEntry[];
}

/**
 * Level-triggered reconciliation (DESIGN §3.11): the leader keeps comparing the journal's desired
 * chain of every shard with the published config key and with what every member reports it runs
 * (`ChainKeys.nodeApplied`), and acts until they agree — so a leader that died between its journal
 * append and its key write, a Redis blip during publication, or a configure call that never
 * arrived cannot leave a shard stuck. Per shard:
 * - key behind the journal (older term, absent, malformed): publish the journaled chain;
 * - key at the journal's term but naming an old address of a member (the node re-registered
 *   elsewhere): a term bump, for the coordinator to journal and publish;
 * - a reporting member whose report lags the key's term for longer than `patienceMs` (a renewal
 *   or two normally closes the gap on its own): `node.configure` it again with the key's config.
 * Members with no report or no lease key (dead, or not started) are not dialed: a dead node costs
 * no timeout here. And a config key left of a deleted shard is removed (shard ids are never reused,
 * so removing one is right whoever leads).
 */
export class Reconciler {
  readonly #redis: Redis;
  readonly #publisher: ChainPublisher;
  readonly #logger: Logger;
  readonly #patienceMs: number;
  /** `shard:node` → when its report was first seen lagging. */
  readonly #laggingSince = new Map<string, number>();
  /** Ids of deleted shards whose config key this leader has seen gone: not looked at again. */
  readonly #sweptDeleted = new Set<number>();

  constructor(params: { redis: Redis; publisher: ChainPublisher; logger: Logger; patienceMs: number }) {
    this.#redis = params.redis;
    this.#publisher = params.publisher;
    this.#logger = params.logger.child({ component: 'reconciler' });
    this.#patienceMs = params.patienceMs;
  }

  /** Forgets lag observations (a new term of leadership starts from fresh ones). */
  reset(): void {
    this.#laggingSince.clear();
    this.#sweptDeleted.clear();
  }

  async reconcile(state: MetadataState): Promise<ReconcilePass> {
    const pass: ReconcilePass = {
      republished: 0,
      removed: await this.#removeDeleted(state),
      retold: 0,
      entries: [],
    };
    const shards = [...state.shards.values()];
    if (shards.length === 0) return pass;
    const [published, reports] = await Promise.all([
      this.#publishedConfigs(shards),
      this.#reports([...state.nodes.keys()]),
    ]);
    const now = performance.now();
    const tells: Promise<boolean>[] = [];
    for (const [i, shard] of shards.entries()) {
      const config = published[i];
      if (config === undefined || config.term < shard.term) {
        await this.#publisher.publish(shard, state.nodes);
        pass.republished += 1;
        continue;
      }
      if (config.term > shard.term) continue; // this leader's state is behind the journal: catch up first
      if (this.#addressesChanged(config, state.nodes)) {
        pass.entries.push({
          type: 'shard.reconfigured',
          data: { id: shard.id, term: shard.term + 1, chain: shard.chain, status: shard.status },
        });
        continue;
      }
      for (const member of config.chain) {
        const report = reports.get(member.id);
        const key = `${shard.id}:${member.id}`;
        const applied = report?.shards.find((s) => s.shard === shard.id)?.term ?? 0;
        if (report === undefined || applied >= config.term) {
          this.#laggingSince.delete(key);
          continue;
        }
        const since = this.#laggingSince.get(key) ?? now;
        this.#laggingSince.set(key, since);
        if (now - since < this.#patienceMs) continue;
        // Patience restarts: one call per patience period while the member lags.
        this.#laggingSince.set(key, now);
        this.#logger.warn(
          { shard: shard.id, node: member.id, applied, term: config.term },
          'member lags the published chain: configuring it again',
        );
        pass.retold += 1;
        tells.push(this.#publisher.tell(member, config));
      }
    }
    await Promise.all(tells);
    if (pass.republished + pass.removed + pass.retold + pass.entries.length > 0) {
      this.#logger.info(
        {
          republished: pass.republished,
          removed: pass.removed,
          retold: pass.retold,
          addressBumps: pass.entries.length,
        },
        'reconciled',
      );
    }
    return pass;
  }

  /** Deletes the config keys of shards the journal deleted (ids below `nextShardId` it no longer has). */
  async #removeDeleted(state: MetadataState): Promise<number> {
    const ids: number[] = [];
    for (let id = 1; id < state.nextShardId; id++) {
      if (!state.shards.has(id) && !this.#sweptDeleted.has(id)) ids.push(id);
    }
    if (ids.length === 0) return 0;
    const raws = await this.#redis.mget(ids.map((id) => ChainKeys.shardConfig(id)));
    const left = ids.filter((_, i) => raws[i] !== null);
    if (left.length > 0) await this.#redis.del(...left.map((id) => ChainKeys.shardConfig(id)));
    for (const id of ids) this.#sweptDeleted.add(id);
    return left.length;
  }

  /** Every shard's published config (undefined when absent or malformed: republished either way). */
  async #publishedConfigs(shards: Shard[]): Promise<(ChainConfig | undefined)[]> {
    const keys = shards.map((shard) => ChainKeys.shardConfig(shard.id));
    const raws = await this.#redis.mget(keys);
    return raws.map((raw, i) => {
      if (raw === null) return undefined;
      try {
        return ControlPlaneCodecs.shardConfig.decode(raw, keys[i]!);
      } catch (error) {
        this.#logger.error({ err: error }, 'published configuration malformed; republishing it');
        return undefined;
      }
    });
  }

  async #reports(nodes: string[]): Promise<Map<string, AppliedReport>> {
    const reports = new Map<string, AppliedReport>();
    if (nodes.length === 0) return reports;
    const keys = nodes.map((node) => ChainKeys.nodeApplied(node));
    // A report outlives its node by a few leases: only a node whose lease key exists is dialed.
    const [raws, leases] = await Promise.all([
      this.#redis.mget(keys),
      this.#redis.mget(nodes.map((node) => ChainKeys.nodeLease(node))),
    ]);
    raws.forEach((raw, i) => {
      if (raw === null || leases[i] === null) return;
      try {
        reports.set(nodes[i]!, ControlPlaneCodecs.appliedReport.decode(raw, keys[i]!));
      } catch (error) {
        this.#logger.error({ err: error }, 'applied report ignored');
      }
    });
    return reports;
  }

  #addressesChanged(config: ChainConfig, nodes: ReadonlyMap<string, NodeInfo>): boolean {
    return config.chain.some((member) => {
      const address = nodes.get(member.id)?.internalAddress;
      return address !== undefined && address !== member.address;
    });
  }
}
