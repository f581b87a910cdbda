import { failpoint, LinkPool, NO_REPLICA_ACKS, type ReplicaAckPolicy, withReplicaAck } from '@star/core';
import {
  type ChainConfig,
  ChainKeys,
  ChainMethods,
  ControlPlaneCodecs,
  ManagerKeys,
  type NodeInfo,
  type Shard,
  StarError,
} from '@star/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { FencedError } from '../journal/fenced-error.js';
import { bindScript, type ScriptCall } from '../journal/redis-script.js';
import { publishScript } from './publish-script.js';

/**
 * Makes a journaled chain configuration take effect (DESIGN §3.12): a `node.configure` to every
 * live node that leaves the chain, then the shard's config key in Redis (which a node reads
 * whenever it meets a newer term and on every lease renewal), then a `node.configure` to every
 * member. A member that misses the call still converges through the key, and the leader's
 * Reconciler re-tells members whose applied report lags.
 *
 * The key is written by a Lua script that checks this manager's fencing token against the leader
 * record and writes only a newer term: a deposed leader paused anywhere in here can neither move a
 * term backwards nor publish past the current leader. Configurations carry the token; nodes refuse
 * one older than they hold.
 *
 * Nodes leaving a chain while alive (a move, a trim) hold a valid read lease, which is per node:
 * until they learn the new term they would go on answering reads of the shard from a state the
 * new chain no longer updates. So they are told first, and if one holding a lease key cannot be
 * told, the configuration carries a hold of a lease period plus a margin: the new tail commits
 * nothing at that term until the hold has passed since it applied the configuration, by when the
 * leaving node's own renewals have read the key (written before any member applies it) and
 * dropped the shard, or its lease has run out. (Found by the fault suite: a move's source kept
 * serving a frozen shard for 23 s; and writing the key first let renewals hand the new chain to
 * the members at once, so it committed while the leaving node still served clean reads.) A node
 * removed for failure has no lease key left: no hold.
 */
export class ChainPublisher {
  readonly #redis: Redis;
  readonly #logger: Logger;
  readonly #links: LinkPool;
  readonly #holdMs: number;
  readonly #token: () => number | undefined;
  readonly #write: ScriptCall;
  readonly #replicaAcks: ReplicaAckPolicy;

  constructor(params: {
    redis: Redis;
    logger: Logger;
    secret: string;
    /** The nodes' read lease plus a margin: how long a leaving node that missed its call may serve. */
    leaseWaitMs?: number;
    /** This manager's fencing token while it leads (undefined otherwise). */
    token: () => number | undefined;
    /** Replicas that must hold the config key before the members are told (Redis WAIT). */
    replicaAcks?: ReplicaAckPolicy;
  }) {
    this.#redis = params.redis;
    this.#logger = params.logger;
    this.#holdMs = params.leaseWaitMs ?? 0;
    this.#token = params.token;
    this.#write = bindScript(params.redis, publishScript);
    this.#replicaAcks = params.replicaAcks ?? NO_REPLICA_ACKS;
    this.#links = new LinkPool({ secret: params.secret, logger: params.logger, reconnectMaxDelayMs: 1_000 });
  }

  configOf(shard: Shard, nodes: ReadonlyMap<string, NodeInfo>, token?: number): ChainConfig {
    return {
      shard: shard.id,
      term: shard.term,
      chain: shard.chain.map((id) => {
        const node = nodes.get(id);
        const incarnation = node?.incarnation;
        return { id, address: node?.internalAddress ?? 'unknown:0', ...(incarnation ? { incarnation } : {}) };
      }),
      ...(token === undefined ? {} : { token }),
    };
  }

  /**
   * Publishes the shard's journaled chain. Throws `FencedError` when this manager no longer leads;
   * returns quietly when the key already holds this term or a newer one (whoever wrote it told the
   * members; the Reconciler re-tells any that lag).
   */
  async publish(
    shard: Shard,
    nodes: ReadonlyMap<string, NodeInfo>,
    unheard: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    await failpoint('manager.before-publish', shard.id);
    const token = this.#token();
    if (token === undefined) throw new StarError('MisdirectedRequest', 'this manager does not lead');
    const key = ChainKeys.shardConfig(shard.id);
    const previous = this.#decodePrevious(await this.#redis.get(key), key);
    if (previous !== undefined && previous.term >= shard.term) return;
    const told = this.configOf(shard, nodes, token);
    const leaving = (previous?.chain ?? []).filter(
      (member) => !told.chain.some((next) => next.id === member.id),
    );
    // Only a leaving node whose lease key still exists can be serving reads; a dead one is skipped
    // (dialing it would only delay the failover). Telling before the key is written is safe: the
    // configuration is journaled, and a node only ever moves to newer terms.
    const untold = await Promise.all(
      leaving.map(async (member) => {
        if ((await this.#redis.exists(ChainKeys.nodeLease(member.id))) === 0) return false;
        return !(await this.tell(member, told));
      }),
    );
    const config = untold.includes(true) ? { ...told, holdMs: this.#holdMs } : told;
    if (config.holdMs !== undefined) {
      this.#logger.warn(
        { shard: shard.id, term: config.term, holdMs: config.holdMs },
        'a node leaving the chain holds a lease and was not told; the new tail holds commits for a lease',
      );
    }
    if (!(await this.#writeKey(key, config, token))) return;
    await failpoint('manager.after-config-write', shard.id);
    // A member the caller has not heard from for a lease is cut off or dead: it reads the key once
    // it is back (and the Reconciler re-tells it). Waiting out its configure timeout would only
    // hold up the caller, e.g. the failure detection of the chain's other members.
    const reachable = config.chain.filter((member) => !unheard.has(member.id));
    await Promise.all(reachable.map((member) => this.tell(member, config)));
  }

  /** The fenced, monotone write; false when the key already holds this term or a newer one. */
  async #writeKey(key: string, config: ChainConfig, token: number): Promise<boolean> {
    // Acknowledged only once a replica holds it: members are told only what a failover keeps.
    const reply: unknown = await withReplicaAck(this.#redis, this.#replicaAcks, async () => {
      try {
        return await this.#write(
          [ManagerKeys.leader, ManagerKeys.fence, key],
          [token, config.term, ControlPlaneCodecs.shardConfig.encode(config)],
        );
      } catch (error) {
        throw FencedError.fromReply(error, token) ?? error;
      }
    });
    const [written, storedTerm] = reply as [number, number];
    if (written === 1) return true;
    this.#logger.info(
      { shard: config.shard, term: config.term, storedTerm },
      'configuration not published: the key already holds this term or a newer one',
    );
    return false;
  }

  /** The configuration being replaced; a malformed one is logged and treated as none to tell. */
  #decodePrevious(raw: string | null, key: string): ChainConfig | undefined {
    if (raw === null) return undefined;
    try {
      return ControlPlaneCodecs.shardConfig.decode(raw, key);
    } catch (error) {
      this.#logger.error({ err: error }, 'published configuration was malformed; overwriting it');
      return undefined;
    }
  }

  /** Sends the configuration to one node; false when it was not delivered. */
  async tell(member: ChainConfig['chain'][number], config: ChainConfig): Promise<boolean> {
    try {
      await failpoint('manager.before-configure', member.id);
      await this.#links.client(member.address).request(ChainMethods.configure, config, { timeoutMs: 3_000 });
      await failpoint('manager.after-configure', member.id);
      return true;
    } catch (error) {
      // A node already at a newer term has moved past this configuration: as good as told.
      if ((error as { code?: string }).code === 'StaleTerm') return true;
      this.#logger.warn(
        { err: error, shard: config.shard, node: member.id },
        'configure not delivered; the node will read the key',
      );
      return false;
    }
  }

  /** A request to a node (status queries during moves). */
  request<T>(address: string, method: string, body: unknown): Promise<T> {
    return this.#links.client(address).request<T>(method, body, { timeoutMs: 3_000 });
  }

  async remove(shardId: number): Promise<void> {
    await this.#redis.del(ChainKeys.shardConfig(shardId));
  }

  close(): void {
    this.#links.closeAll();
  }
}
