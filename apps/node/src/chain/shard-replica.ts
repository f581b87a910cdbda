import { EventEmitter } from 'node:events';
import type { Link } from '@star/core';
import {
  type AppendRequest,
  type ChainConfig,
  ChainMethods,
  compareKeys,
  type GetResponse,
  type HandshakeResponse,
  KvLimits,
  type LogEntry,
  type ScanRequest,
  type ScanResponse,
  type ShardReplicaStatus,
  type ShardRole,
  StarError,
} from '@star/protocol';
import type { Logger } from 'pino';
import type { ShardStore } from '../storage/shard-store.js';
import { CommitHold } from './commit-hold.js';
import { CommitSeqQuery } from './commit-seq-query.js';
import { CommitWaiters } from './commit-waiters.js';
import { DirtyVersions } from './dirty-versions.js';
import { DownstreamCursor } from './downstream-cursor.js';
import { found, recordOf } from './get-response.js';
import { HeadSequencer } from './head-sequencer.js';
import type { PeerLinks } from './peer-links.js';
import { PendingAck } from './pending-ack.js';
import { ReadBatch } from './read-batch.js';

/** What a replica needs from the node around it. */
export interface ReplicaContext {
  nodeId: string;
  /** This process's incarnation: configurations naming an earlier one are not acted on. */
  incarnation?: string;
  peers: PeerLinks;
  logger: Logger;
  /** Milliseconds of read lease left (0 when lapsed or being revalidated). */
  leaseValidForMs(): number;
  /** The shard's configuration as the control plane has it, for messages of a newer term. */
  fetchConfig(shard: number): Promise<ChainConfig | undefined>;
  metrics: ReplicaMetrics;
  maxValueBytes: number;
  /** Whether the node can persist (storage-health.ts); a full node's head refuses writes. */
  storageFull?(): boolean;
}

/** What watchers of a replica hear: commit points as they advance, and role changes. */
export interface ReplicaEvents {
  committed: [commitSeq: number];
  configured: [role: ShardRole];
}

export interface ReplicaMetrics {
  onRead(kind: 'clean' | 'dirty'): void;
  onAppendBatch(entries: number): void;
}

/**
 * One shard replica on this node: its durable store, its place in the chain at the current term,
 * the dirty (uncommitted) suffix in memory, and the protocol of DESIGN §3 — append durably before
 * forwarding, commit at the tail, acks upstream, CRAQ reads with coalesced version queries.
 * The head's write path lives in HeadSequencer; the stream to the successor in DownstreamCursor.
 */
export class ShardReplica {
  readonly shard: number;
  readonly store: ShardStore;
  readonly dirty = new DirtyVersions();
  readonly sequencer: HeadSequencer;
  readonly events = new EventEmitter<ReplicaEvents>();
  readonly #context: ReplicaContext;
  readonly #logger: Logger;
  readonly #commitWaiters = new CommitWaiters();
  readonly #hold = new CommitHold();
  #config: ChainConfig | undefined;
  #role: ShardRole = 'none';
  #cursor: DownstreamCursor | undefined;
  #upstream: Link | undefined;
  /**
   * Whether the predecessor confirmed, in this term, that this node's log is a prefix of its own
   * (its first append after the handshake). Until then a member may hold a diverged suffix — say it
   * was a head that died with unforwarded entries and rejoined — or miss entries committed while it
   * was away, so it serves no reads, a tail commits nothing, and nothing is forwarded downstream
   * (DESIGN §3.13). The head is confirmed by definition.
   */
  #prefixConfirmed = false;
  readonly #commitQuery: CommitSeqQuery;
  readonly #reads = new ReadBatch<GetResponse>(
    (key) => this.#readNow(key),
    (serveEach) => this.store.readTransaction(serveEach),
  );
  #configuring: Promise<void> | undefined;
  readonly #pendingAck = new PendingAck((commitSeq) => {
    if (!this.store.isOpen) return;
    try {
      this.onAck(commitSeq);
    } catch (error) {
      this.#logger.error({ err: error, commitSeq }, 'ack not applied');
    }
  });

  /**
   * `restarted`: the store was left by an earlier incarnation of this node (opened at start-up),
   * so its saved configuration is one this process must not act on (see `#restore`).
   */
  constructor(
    shard: number,
    store: ShardStore,
    context: ReplicaContext,
    options: { restarted?: boolean } = {},
  ) {
    this.shard = shard;
    this.store = store;
    this.#context = context;
    this.#logger = context.logger.child({ shard });
    // One listener per watch of this shard: any number of watchers is expected, not a leak.
    this.events.setMaxListeners(0);
    for (const entry of store.uncommittedEntries()) this.dirty.add(entry);
    this.#commitQuery = new CommitSeqQuery(() => this.#queryTail());
    this.sequencer = new HeadSequencer(this, context.maxValueBytes);
    const saved = store.loadConfig();
    if (saved && options.restarted) this.#restore(saved);
    else if (saved) this.#apply(saved);
  }

  /**
   * DESIGN §3.14: a restarted node never writes, serves or streams at a term it held before. A
   * power loss may have cut the tail of its log (`synchronous=NORMAL`), so as head it would reassign
   * seqs its successors hold under the same term. It keeps the saved term (a configuration of that
   * term is a no-op) but takes no part in the chain until a configuration with a higher term — the
   * manager's, on seeing the new incarnation — re-enters it through the handshake.
   */
  #restore(config: ChainConfig): void {
    this.sequencer.beforeReconfigure(false);
    this.#cursor?.stop();
    this.#cursor = undefined;
    this.#upstream = undefined;
    this.#pendingAck.drop();
    this.#prefixConfirmed = false;
    this.#config = config;
    this.#role = 'none';
    this.sequencer.resume();
    this.#commitWaiters.rejectAll(new StarError('Unavailable', `shard ${this.shard}: node restarted`));
    this.events.emit('configured', 'none');
    this.#logger.info(
      { term: config.term, chain: config.chain.map((m) => m.id) },
      'configuration from before this incarnation: taking no part until a newer one for this incarnation',
    );
  }

  get term(): number {
    return this.#config?.term ?? 0;
  }

  get role(): ShardRole {
    return this.#role;
  }

  get config(): ChainConfig | undefined {
    return this.#config;
  }

  get lastSeq(): number {
    return this.store.lastSeq;
  }

  get commitSeq(): number {
    return this.store.commitSeq;
  }

  /**
   * The highest commit point this node knows of: its own, or what a predecessor reported. Passed
   * down the chain with every append, so a joining member (or the tail behind it) waits until it
   * holds everything committed anywhere upstream — not only what its predecessor has applied.
   * It never goes backwards, across terms and restarts (kept in the store): a commit point is a fact
   * of the history, and the member that reported it may since have left the chain (DESIGN §3.13).
   */
  get knownCommitSeq(): number {
    return this.store.knownCommitSeq;
  }

  /** Whether this node's log is confirmed at the current term: only then does it forward entries. */
  get confirmed(): boolean {
    return this.isHead || this.#prefixConfirmed;
  }

  /** Lowest seq still in the log (entries before it are trimmed; a successor behind it needs a snapshot). */
  get firstLogSeq(): number {
    return this.store.firstLogSeq;
  }

  get isHead(): boolean {
    return this.#role === 'head' || this.#role === 'single';
  }

  get isTail(): boolean {
    return this.#role === 'tail' || this.#role === 'single';
  }

  status(): ShardReplicaStatus {
    return {
      shard: this.shard,
      term: this.term,
      role: this.#role,
      chain: this.#config?.chain.map((member) => member.id) ?? [],
      lastSeq: this.lastSeq,
      commitSeq: this.commitSeq,
      dirtyKeys: this.dirty.keyCount,
    };
  }

  // --- configuration and terms -------------------------------------------------------------

  /** Applies a chain configuration; an older term is refused, the same term is a no-op. */
  configure(config: ChainConfig): { term: number } {
    if (config.shard !== this.shard)
      throw new StarError('BadRequest', `configuration is for shard ${config.shard}`);
    if (config.term < this.term) {
      throw new StarError('StaleTerm', `shard ${this.shard} is at term ${this.term}, not ${config.term}`, {
        term: this.term,
      });
    }
    if (config.term === this.term && this.#config !== undefined) return { term: this.term };
    // A configuration from a deposed manager leader (DESIGN §3.12): the token is saved with it.
    if ((config.token ?? 0) < (this.#config?.token ?? 0)) {
      throw new StarError(
        'Conflict',
        `shard ${this.shard}: configuration of fencing token ${config.token ?? 0} is older than ${this.#config?.token}`,
      );
    }
    this.store.saveConfig(config);
    if (this.#namesEarlierIncarnation(config)) this.#restore(config);
    else this.#apply(config);
    return { term: this.term };
  }

  /**
   * A configuration published before this process started (it names an earlier incarnation of this
   * node): say a power loss cut the saved configuration of that term, so the term is not known
   * here to have been held. Acting on it could reuse seqs of that term, as after any restart.
   */
  #namesEarlierIncarnation(config: ChainConfig): boolean {
    const current = this.#context.incarnation;
    const named = config.chain.find((member) => member.id === this.#context.nodeId)?.incarnation;
    return current !== undefined && named !== undefined && named !== current;
  }

  #apply(config: ChainConfig): void {
    const index = config.chain.findIndex((member) => member.id === this.#context.nodeId);
    const last = config.chain.length - 1;
    const role: ShardRole =
      index < 0 ? 'none' : last === 0 ? 'single' : index === 0 ? 'head' : index === last ? 'tail' : 'middle';
    this.sequencer.beforeReconfigure(role === 'head' || role === 'single');
    this.#config = config;
    this.#role = role;
    this.#cursor?.stop();
    this.#cursor = undefined;
    this.#upstream = undefined;
    this.#pendingAck.drop();
    this.#prefixConfirmed = false;
    this.#hold.start(config.holdMs);
    const successor = index >= 0 ? config.chain[index + 1] : undefined;
    if (successor) {
      this.#cursor = new DownstreamCursor({
        source: this,
        successor,
        peers: this.#context.peers,
        logger: this.#logger,
        nodeId: this.#context.nodeId,
      });
    }
    this.sequencer.resume();
    if (this.isHead && this.lastSeq < this.knownCommitSeq) {
      // Entries committed in the shard are missing here: the chain was given a head without them.
      this.#logger.error(
        { lastSeq: this.lastSeq, knownCommitSeq: this.knownCommitSeq },
        'head lacks committed entries; its successors will wait for them',
      );
    }
    this.events.emit('configured', role);
    // A sole member commits everything it holds; a tail waits for its predecessor's confirmation.
    if (role === 'single') this.#tailCommit();
    if (this.#role === 'none') {
      this.#commitWaiters.rejectAll(
        new StarError('Unavailable', `node left the chain of shard ${this.shard}`),
      );
    }
    this.#logger.info(
      { term: config.term, role: this.#role, chain: config.chain.map((m) => m.id) },
      'chain configured',
    );
  }

  /**
   * Every chain message carries the sender's term: older ones are refused; on a newer one this
   * node fetches the configuration from the control plane before going on.
   */
  async checkTerm(term: number): Promise<void> {
    if (term === this.term) return;
    if (term < this.term) {
      throw new StarError(
        'StaleTerm',
        `shard ${this.shard} is at term ${this.term}; message of term ${term}`,
        {
          term: this.term,
        },
      );
    }
    this.#configuring ??= this.#context
      .fetchConfig(this.shard)
      .then((config) => {
        if (config && config.term > this.term) this.configure(config);
      })
      .finally(() => {
        this.#configuring = undefined;
      });
    await this.#configuring;
    if (term !== this.term) {
      throw new StarError(
        'Unavailable',
        `shard ${this.shard} has not received the configuration of term ${term}`,
      );
    }
  }

  // --- replication: successor side ---------------------------------------------------------

  onHandshake(from: string, link: Link): HandshakeResponse {
    const predecessor = this.#predecessorId();
    if (predecessor !== from) {
      throw new StarError(
        'MisdirectedRequest',
        `${from} is not the predecessor of this node for shard ${this.shard}`,
      );
    }
    this.#upstream = link;
    link.once('close', () => {
      if (this.#upstream === link) this.#upstream = undefined;
    });
    return {
      lastSeq: this.lastSeq,
      lastTerm: this.store.lastTerm,
      commitSeq: this.commitSeq,
    };
  }

  onTruncate(afterSeq: number): { lastSeq: number } {
    if (this.#role === 'none') {
      throw new StarError('MisdirectedRequest', `this node serves no replica of shard ${this.shard}`);
    }
    const keep = Math.max(afterSeq, this.commitSeq);
    this.#pendingAck.drop();
    if (keep < this.lastSeq && this.#prefixConfirmed) {
      // Not expected (a confirmed log only grows within a term): forward nothing until confirmed again.
      this.#logger.warn({ keep, lastSeq: this.lastSeq }, 'confirmed log truncated; waiting for confirmation');
      this.#prefixConfirmed = false;
    }
    this.store.truncateAfter(keep);
    this.dirty.dropAfter(keep);
    return { lastSeq: this.lastSeq };
  }

  onAppend(request: AppendRequest, link: Link): { lastSeq: number } {
    if (link !== this.#upstream) {
      throw new StarError('Conflict', `append for shard ${this.shard} on a link without a handshake`);
    }
    this.store.learnCommitSeq(request.commitSeq);
    // Entries already held (a resend after a reconnect) are skipped; a gap means a lost batch.
    const fresh = request.entries.filter((entry) => entry.seq > this.lastSeq);
    if (fresh.length > 0 && fresh[0]!.seq !== this.lastSeq + 1) {
      throw new StarError(
        'Conflict',
        `gap in the log of shard ${this.shard}: have ${this.lastSeq}, got ${fresh[0]!.seq}`,
      );
    }
    // An append on the handshaken link means the predecessor, itself confirmed (its cursor sends
    // nothing before), found our log a prefix of its own: every entry held here is on every member
    // upstream, so a tail may now commit all of it, and a middle may start streaming to its successor.
    const confirming = !this.#prefixConfirmed;
    this.#prefixConfirmed = true;
    if (fresh.length > 0) this.appendDurably(fresh);
    else if (this.isTail) this.#tailCommit();
    if (confirming) this.#cursor?.wake();
    return { lastSeq: this.lastSeq };
  }

  /** Appends in one transaction (group commit), then commits (tail) or forwards (others). */
  appendDurably(entries: LogEntry[]): void {
    this.#context.metrics.onAppendBatch(entries.length);
    if (this.isTail && this.commitSeq === this.lastSeq && this.#hold.open) {
      // A tail with nothing uncommitted commits on durable append: one transaction, no dirty stay.
      this.store.appendAndCommit(entries);
      this.#committed(this.lastSeq);
      return;
    }
    this.store.append(entries);
    for (const entry of entries) this.dirty.add(entry);
    if (this.isTail) this.#tailCommit();
    else this.#cursor?.wake();
  }

  /** An ack from downstream: everything up to `commitSeq` is durable at the tail. */
  onAck(commitSeq: number): void {
    this.#commitUpTo(Math.min(commitSeq, this.lastSeq));
  }

  /** An ack notice from the successor: applied with the others of this turn (see PendingAck). */
  onAckNotice(commitSeq: number): void {
    this.#pendingAck.offer(commitSeq);
  }

  /** The tail commits everything it holds, once its configuration's commit hold is over. */
  #tailCommit(): void {
    this.#hold.run(() => {
      if (this.store.isOpen && this.isTail) this.#commitUpTo(this.lastSeq);
    });
  }

  #commitUpTo(seq: number): void {
    if (seq <= this.commitSeq) return;
    const entries = this.dirty.peekUpTo(seq);
    try {
      this.store.commit(seq, entries);
    } catch (error) {
      // Out of space: the commit point stays (nothing applied, nothing acked upstream); the entries
      // stay dirty and durable in the log, and commit with the next ack once space returns.
      if (StarError.from(error).code === 'InsufficientStorage') return;
      throw error;
    }
    this.dirty.takeUpTo(seq);
    this.#committed(seq);
  }

  /** Whether this node can persist now (a full node's head refuses writes). */
  get storageFull(): boolean {
    return this.#context.storageFull?.() ?? false;
  }

  /**
   * A head's batch that never reached the log (its append failed for want of space): its writers
   * fail now, with the typed error, before their seqs are assigned again to other writes.
   */
  rejectUnappended(error: StarError): void {
    this.#commitWaiters.rejectAbove(this.lastSeq, error);
  }

  /** The commit point reached `seq`: release the writers waiting on it and tell the predecessor. */
  #committed(seq: number): void {
    this.#commitWaiters.release(seq);
    this.events.emit('committed', seq);
    const upstream = this.#upstream;
    if (upstream !== undefined && !upstream.closed) {
      upstream
        .notify(ChainMethods.ack, { shard: this.shard, term: this.term, commitSeq: seq })
        .catch((error: unknown) =>
          this.#logger.debug({ err: error }, 'ack not sent; the handshake will carry it'),
        );
    }
  }

  waitForCommit(seq: number): Promise<void> {
    return this.#commitWaiters.wait(seq, this.commitSeq);
  }

  // --- the cursor's view -------------------------------------------------------------------

  entryTerm(seq: number): number | undefined {
    const dirtyFirst = this.dirty.firstSeq;
    if (dirtyFirst !== undefined && seq >= dirtyFirst) return this.dirty.from(seq, 1)[0]?.term;
    return this.store.entryTerm(seq);
  }

  entriesFrom(seq: number, limit: number): LogEntry[] {
    const dirtyFirst = this.dirty.firstSeq;
    if (dirtyFirst !== undefined && seq >= dirtyFirst) return this.dirty.from(seq, limit);
    return this.store.readLog(seq, limit);
  }

  // --- reads (CRAQ) ------------------------------------------------------------------------

  /** A client read; served with the other reads of this event-loop turn in one read transaction. */
  read(key: string): Promise<GetResponse> {
    return this.#reads.read(key);
  }

  /** Decides one read now: from the committed state if the key is clean, else via the tail's commit point. */
  #readNow(key: string): GetResponse | Promise<GetResponse> {
    this.#checkReadable();
    if (this.dirty.newest(key) === undefined) {
      this.#context.metrics.onRead('clean');
      return found(this.store.getCommitted(key));
    }
    this.#context.metrics.onRead('dirty');
    return this.#readDirty(key);
  }

  async #readDirty(key: string): Promise<GetResponse> {
    // A tail under a commit hold holds uncommitted entries: only its commit point is visible.
    const tailCommit = this.isTail
      ? this.#hold.open
        ? this.lastSeq
        : this.commitSeq
      : await this.#commitQuery.fetch();
    const visible = this.dirty.newestAtOrBelow(key, Math.max(tailCommit, this.commitSeq));
    if (visible === undefined) return found(this.store.getCommitted(key));
    return visible.op === 'delete' ? { found: false } : { found: true, ...recordOf(visible) };
  }

  /**
   * A page of committed records in key order. Only the tail scans: every entry it holds is
   * committed, so its state is one linearizable cut of the shard; other replicas would need a
   * version query per dirty key.
   */
  scan(request: ScanRequest): ScanResponse {
    this.#checkReadable();
    if (!this.isTail)
      throw new StarError('MisdirectedRequest', `this node is not the tail of shard ${this.shard}`);
    const limit = Math.min(request.limit, KvLimits.maxScanLimit);
    // The smallest key greater than `after` is `after` followed by U+0000.
    const afterBound = request.after === undefined ? undefined : `${request.after}\u0000`;
    const start =
      afterBound === undefined || (request.start !== undefined && compareKeys(request.start, afterBound) > 0)
        ? request.start
        : afterBound;
    const rows = this.store.scan({
      limit: limit + 1,
      ...(request.prefix === undefined ? {} : { prefix: request.prefix }),
      ...(start === undefined ? {} : { start }),
      ...(request.end === undefined ? {} : { end: request.end }),
    });
    const more = rows.length > limit;
    const records = rows
      .slice(0, limit)
      .map(({ value, contentType, ...meta }) =>
        request.values ? { ...meta, value, ...(contentType === undefined ? {} : { contentType }) } : meta,
      );
    return { records, more };
  }

  /** A replica answers reads only in a chain, under a valid lease, and once caught up. */
  #checkReadable(): void {
    if (this.#role === 'none') {
      throw new StarError('MisdirectedRequest', `this node serves no replica of shard ${this.shard}`);
    }
    if (this.#context.leaseValidForMs() <= 0) {
      throw new StarError('Unavailable', 'read lease lapsed; this node cannot vouch for its data now');
    }
    this.#checkCaughtUp();
  }

  /** The tail answers version queries with its commit point (never below what it was told). */
  tailCommitSeq(): { commitSeq: number } {
    if (!this.isTail)
      throw new StarError('MisdirectedRequest', `this node is not the tail of shard ${this.shard}`);
    this.#checkCaughtUp();
    return { commitSeq: this.knownCommitSeq };
  }

  /**
   * A member behind the head answers only once its log is confirmed and holds everything committed
   * upstream. Found by the fault suite: a replica that joined as tail and became a middle one tick
   * later (the manager adds replacements one at a time) served clean keys from the state it held
   * when it had left the chain earlier (a snapshot seed is the same case), before its predecessor
   * had resent the suffix — a read 20 s stale. A middle restarted in
   * place was exposed the same way. The head holds every committed entry by the prefix invariant.
   */
  #checkCaughtUp(): void {
    if (this.isHead) return;
    if (!this.#prefixConfirmed) {
      throw new StarError(
        'Unavailable',
        `shard ${this.shard}: waiting for the predecessor to confirm this log`,
      );
    }
    if (this.lastSeq < this.knownCommitSeq) {
      throw new StarError(
        'Unavailable',
        `shard ${this.shard} is catching up (${this.lastSeq}/${this.knownCommitSeq})`,
      );
    }
  }

  async #queryTail(): Promise<number> {
    const tail = this.#config?.chain.at(-1);
    if (tail === undefined) throw new StarError('Unavailable', `shard ${this.shard} has no chain`);
    const response = await this.#context.peers
      .client(tail.address)
      .request<{ commitSeq: number }>(
        ChainMethods.commitSeq,
        { shard: this.shard, term: this.term },
        { timeoutMs: 5_000 },
      );
    return response.commitSeq;
  }

  #predecessorId(): string | undefined {
    if (this.#role === 'none') return undefined;
    const chain = this.#config?.chain ?? [];
    const index = chain.findIndex((member) => member.id === this.#context.nodeId);
    return index > 0 ? chain[index - 1]!.id : undefined;
  }

  /** A storage failure on the write path: nothing safe remains but to stop and recover from disk. */
  fail(message: string, error: unknown): never {
    this.#logger.fatal({ err: error }, `${message}; exiting to recover from disk`);
    process.exit(70);
  }

  close(): void {
    this.#cursor?.stop();
    this.#hold.stop();
    this.#commitWaiters.rejectAll(new StarError('Unavailable', 'node shutting down'));
    this.store.close();
  }
}
