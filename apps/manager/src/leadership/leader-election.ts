import { EventEmitter } from 'node:events';
import { isReplicaAckError, NO_REPLICA_ACKS, type ReplicaAckPolicy, withReplicaAck } from '@star/core';
import { ManagerKeys } from '@star/protocol';
import type { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import { bindScript, type ScriptCall } from '../journal/redis-script.js';
import { type LeaderRecord, parseLeaderRecord } from './leader-record.js';
import { acquireScript, releaseScript, renewScript } from './leader-scripts.js';

export interface LeaderElectionParams {
  redis: Redis;
  /** Unique per manager process: the leader record and the renew/release checks go by it. */
  managerId: string;
  /** This manager's HTTP URL, published in the leader record for followers to redirect writes to. */
  address: string;
  /** Lifetime of the leader key; default 3000 ms. */
  leaseMs?: number;
  /** Default leaseMs / 3. */
  renewEveryMs?: number;
  /** How much sooner than the key the local lease ends; default 10% of leaseMs. */
  safetyMarginMs?: number;
  /**
   * Replicas that must hold a won election (the fencing-token INCR) or a renewal before it counts,
   * so a failover can neither hand the same token out twice nor shorten a lease we act on.
   */
  replicaAcks?: ReplicaAckPolicy;
  logger?: Logger;
}

export interface LeaderElectionEvents {
  elected: [token: number];
  deposed: [reason: string];
}

type State =
  | { kind: 'stopped' }
  | { kind: 'candidate' }
  | { kind: 'leader'; token: number; leaseEndsAt: number };

/**
 * Leader election over a Redis lease with a fencing token (DESIGN §4). The lease is counted locally
 * from *before* each acquire/renew was sent, on the monotonic clock, and ends a safety margin before
 * the key can expire: a leader that cannot renew stops acting before anyone else can be elected.
 * Whatever it still sends afterwards carries its old token, which the journal's fencing refuses.
 *
 * Every state change bumps an epoch; a reply that comes back under an older epoch is ignored (an
 * acquire that won is given back), so a slow Redis can never revive a leadership already given up.
 */
export class LeaderElection extends EventEmitter<LeaderElectionEvents> {
  readonly managerId: string;
  /** Written into the leader record on acquiring; may be set until `start()`. */
  address: string;
  readonly leaseMs: number;
  readonly renewEveryMs: number;
  readonly safetyMarginMs: number;
  readonly #redis: Redis;
  readonly #logger: Logger;
  readonly #acquire: ScriptCall;
  readonly #renew: ScriptCall;
  readonly #release: ScriptCall;
  readonly #replicaAcks: ReplicaAckPolicy;
  #state: State = { kind: 'stopped' };
  #epoch = 0;
  #stepTimer: NodeJS.Timeout | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;

  constructor(params: LeaderElectionParams) {
    super();
    this.managerId = params.managerId;
    this.address = params.address;
    this.leaseMs = params.leaseMs ?? 3_000;
    this.renewEveryMs = params.renewEveryMs ?? Math.round(this.leaseMs / 3);
    this.safetyMarginMs = params.safetyMarginMs ?? Math.round(this.leaseMs / 10);
    if (this.renewEveryMs <= 0 || this.renewEveryMs >= this.leaseMs - this.safetyMarginMs) {
      throw new Error(
        `renewEveryMs (${this.renewEveryMs}) must be positive and below leaseMs minus the safety margin`,
      );
    }
    this.#redis = params.redis;
    this.#logger = (params.logger ?? pino({ level: 'silent' })).child({
      component: 'leader-election',
      managerId: this.managerId,
    });
    this.#acquire = bindScript(params.redis, acquireScript);
    this.#renew = bindScript(params.redis, renewScript);
    this.#release = bindScript(params.redis, releaseScript);
    this.#replicaAcks = params.replicaAcks ?? NO_REPLICA_ACKS;
  }

  /** Starts competing for the lead (and keeping it once won). */
  start(): void {
    if (this.#state.kind !== 'stopped') return;
    this.#enter({ kind: 'candidate' });
    this.#schedule(0, () => this.#tryAcquire());
  }

  /** Stops competing and renewing without touching the key (it expires by itself); emits deposed if leading. */
  stop(): void {
    const wasLeader = this.#state.kind === 'leader';
    this.#enter({ kind: 'stopped' });
    if (wasLeader) this.#emitDeposed('stopped');
  }

  /** Stops, and deletes the leader key if it is still ours so a successor need not wait for the lease. */
  async resign(): Promise<boolean> {
    const state = this.#state;
    this.stop();
    if (state.kind !== 'leader') return false;
    return (await this.#release([ManagerKeys.leader], [this.managerId, state.token])) === 1;
  }

  /** True only while the local lease runs, even if the timer that deposes has not fired yet. */
  isLeader(): boolean {
    return this.#state.kind === 'leader' && performance.now() < this.#state.leaseEndsAt;
  }

  /** The fencing token to write with while leader; undefined otherwise. */
  get token(): number | undefined {
    return this.#state.kind === 'leader' && this.isLeader() ? this.#state.token : undefined;
  }

  /** Milliseconds left on the local lease (0 when not leader). */
  leaseValidForMs(): number {
    return this.#state.kind === 'leader' ? Math.max(0, this.#state.leaseEndsAt - performance.now()) : 0;
  }

  /** The leader record in Redis, whoever holds it: followers redirect writes to its address. */
  async currentLeader(): Promise<LeaderRecord | undefined> {
    return parseLeaderRecord(await this.#redis.get(ManagerKeys.leader));
  }

  async #tryAcquire(): Promise<void> {
    const epoch = this.#epoch;
    const sentAt = performance.now();
    let won: number;
    let value: number;
    try {
      // The token INCR counts only once a replica holds it (WAIT on the same connection).
      [won, value] = (await withReplicaAck(this.#redis, this.#replicaAcks, () =>
        this.#acquire([ManagerKeys.leader, ManagerKeys.fence], [this.managerId, this.address, this.leaseMs]),
      )) as [number, number];
    } catch (error) {
      // Won on the primary but not replicated: give it back at once, the token is never used (a
      // failover may hand the same number out again, to a leader that is then its only user).
      const result = isReplicaAckError(error) ? (error.result as [number, number] | undefined) : undefined;
      if (result?.[0] === 1) this.#releaseQuietly(result[1]);
      if (epoch !== this.#epoch) return;
      this.#logger.warn({ err: error }, 'leader acquire failed; retrying');
      this.#schedule(this.renewEveryMs, () => this.#tryAcquire());
      return;
    }
    const leaseEndsAt = sentAt + this.leaseMs - this.safetyMarginMs;
    if (won === 1) {
      if (epoch === this.#epoch && performance.now() < leaseEndsAt) {
        this.#becomeLeader(value, leaseEndsAt);
        return;
      }
      // Won, but stopped meanwhile or the reply outlived the lease: give it back at once.
      this.#releaseQuietly(value);
      if (epoch === this.#epoch) this.#schedule(0, () => this.#tryAcquire());
      return;
    }
    if (epoch !== this.#epoch) return;
    // Someone else leads: look again about when its lease runs out, and at least every renewEveryMs.
    const retryMs = value >= 0 ? Math.min(value + 1, this.renewEveryMs) : this.renewEveryMs;
    this.#schedule(retryMs, () => this.#tryAcquire());
  }

  async #tryRenew(): Promise<void> {
    const state = this.#state;
    if (state.kind !== 'leader') return;
    const epoch = this.#epoch;
    const sentAt = performance.now();
    let renewed: boolean;
    try {
      renewed = await withReplicaAck(
        this.#redis,
        this.#replicaAcks,
        async () =>
          (await this.#renew([ManagerKeys.leader], [this.managerId, state.token, this.leaseMs])) === 1,
      );
    } catch (error) {
      if (isReplicaAckError(error) && epoch === this.#epoch) {
        // Not extended where a promoted replica would see it: keep the lease we had, try again soon.
        this.#logger.warn({ err: error }, 'lease renewal not replicated; the local lease is not extended');
        this.#schedule(Math.min(100, this.renewEveryMs), () => this.#tryRenew());
        return;
      }
      if (epoch === this.#epoch)
        this.#depose(`lease renewal failed: ${(error as Error).message}`, state.token);
      return;
    }
    // A newer epoch means the local lease already ran out (or we stopped): this reply is too late.
    if (epoch !== this.#epoch) return;
    if (!renewed) {
      this.#depose('the leader key no longer holds our token', state.token);
      return;
    }
    state.leaseEndsAt = sentAt + this.leaseMs - this.safetyMarginMs;
    this.#armLeaseTimer();
    this.#schedule(Math.max(0, sentAt + this.renewEveryMs - performance.now()), () => this.#tryRenew());
  }

  #becomeLeader(token: number, leaseEndsAt: number): void {
    this.#enter({ kind: 'leader', token, leaseEndsAt });
    this.#armLeaseTimer();
    this.#schedule(this.renewEveryMs, () => this.#tryRenew());
    this.#logger.info({ token }, 'elected leader');
    try {
      this.emit('elected', token);
    } catch (error) {
      this.#logger.error({ err: error }, 'an elected listener threw');
    }
  }

  #depose(reason: string, token: number): void {
    this.#enter({ kind: 'candidate' });
    // Hand the key back if it is still ours (a reply may just be late), then compete again.
    this.#releaseQuietly(token);
    this.#schedule(0, () => this.#tryAcquire());
    this.#emitDeposed(reason);
  }

  #armLeaseTimer(): void {
    clearTimeout(this.#leaseTimer);
    const state = this.#state;
    if (state.kind !== 'leader') return;
    const epoch = this.#epoch;
    this.#leaseTimer = setTimeout(
      () => {
        if (epoch !== this.#epoch || state.kind !== 'leader') return;
        if (performance.now() < state.leaseEndsAt) this.#armLeaseTimer();
        else this.#depose('the lease ran out before a renewal came back', state.token);
      },
      Math.max(0, state.leaseEndsAt - performance.now()),
    );
    this.#leaseTimer.unref();
  }

  #enter(state: State): void {
    this.#epoch++;
    clearTimeout(this.#stepTimer);
    clearTimeout(this.#leaseTimer);
    this.#state = state;
  }

  #schedule(delayMs: number, step: () => Promise<void>): void {
    const epoch = this.#epoch;
    clearTimeout(this.#stepTimer);
    this.#stepTimer = setTimeout(() => {
      if (epoch === this.#epoch) void step();
    }, delayMs);
    this.#stepTimer.unref();
  }

  #releaseQuietly(token: number): void {
    this.#release([ManagerKeys.leader], [this.managerId, token]).catch((error: unknown) =>
      this.#logger.debug({ err: error, token }, 'could not release the leader key'),
    );
  }

  #emitDeposed(reason: string): void {
    this.#logger.warn({ reason }, 'no longer leader');
    try {
      this.emit('deposed', reason);
    } catch (error) {
      this.#logger.error({ err: error }, 'a deposed listener threw');
    }
  }
}
