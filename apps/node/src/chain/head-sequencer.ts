import {
  ChainLimits,
  type DeleteRequest,
  type LogEntry,
  type PutRequest,
  StarError,
  type WriteResult,
} from '@star/protocol';
import type { ShardReplica } from './shard-replica.js';

/** The newest state of a key as the head sees it: dirty versions included. */
interface NewestState {
  exists: boolean;
  version: number;
  createdAt: number;
  modifications: number;
  /** Set when that state is not yet committed. */
  dirtySeq?: number;
}

type WriteRequest = ({ op: 'put' } & PutRequest) | ({ op: 'delete' } & DeleteRequest);

/**
 * The head's write path: the serialization point of its shard. It deduplicates retried requests
 * (also ones whose entry an earlier head assigned), checks conditions against the newest state,
 * assigns the next seq, computes the record metadata once for every replica, and appends all writes
 * that arrive in one event-loop turn as one batch (group commit). A write answers when it commits.
 */
export class HeadSequencer {
  readonly #replica: ShardReplica;
  readonly #maxValueBytes: number;
  #assignedSeq: number;
  readonly #batch: LogEntry[] = [];
  #flushScheduled = false;
  readonly #inflight = new Map<string, Promise<WriteResult>>();

  constructor(replica: ShardReplica, maxValueBytes: number) {
    this.#replica = replica;
    this.#maxValueBytes = maxValueBytes;
    this.#assignedSeq = replica.lastSeq;
  }

  /**
   * Before a new configuration takes effect: a head that stays head appends what it already
   * assigned; a deposed one drops it (those seqs were never durable anywhere and belong to the new
   * head now; their callers fail once the seq commits with another entry).
   */
  beforeReconfigure(staysHead: boolean): void {
    if (staysHead) this.#flush();
    else {
      this.#batch.length = 0;
      this.#pendingNewest.clear();
    }
  }

  /** After a new configuration: new seqs continue right after what the log holds. */
  resume(): void {
    this.#assignedSeq = this.#replica.lastSeq + this.#batch.length;
  }

  write(request: WriteRequest): Promise<WriteResult> {
    validateKey(request.key);
    if (request.op === 'put') {
      const bytes = request.value.byteLength;
      if (bytes > this.#maxValueBytes) {
        throw new StarError(
          'PayloadTooLarge',
          `value of ${bytes} bytes exceeds the limit of ${this.#maxValueBytes}`,
        );
      }
    }
    const { clientId, requestId } = request;
    if (clientId === undefined || requestId === undefined) return this.#write(request);
    const id = `${clientId}\u0000${requestId}`;
    const inflight = this.#inflight.get(id);
    if (inflight) return inflight;
    const result = this.#dedupedWrite(request, clientId, requestId).finally(() => this.#inflight.delete(id));
    this.#inflight.set(id, result);
    return result;
  }

  async #dedupedWrite(request: WriteRequest, clientId: string, requestId: number): Promise<WriteResult> {
    const committed = this.#replica.store.lookupRequest(clientId, requestId);
    if (committed) return committed;
    const pending = this.#replica.dirty.byRequest(clientId, requestId);
    if (pending) return this.#committed(pending);
    return this.#write(request);
  }

  async #write(request: WriteRequest): Promise<WriteResult> {
    for (;;) {
      this.#checkHead();
      // A head that cannot persist takes no new write: it would only fail at the append.
      if (this.#replica.storageFull)
        throw new StarError('InsufficientStorage', `this node cannot persist: its data directory is full`);
      const current = this.#newest(request.key);
      const refusal = conditionFailure(request, current);
      if (refusal === undefined) break;
      // A refusal is decided against committed state only: a dirty version might still be lost.
      if (current.dirtySeq !== undefined) {
        await this.#replica.waitForCommit(current.dirtySeq);
        continue;
      }
      throw refusal;
    }
    const current = this.#newest(request.key);
    const now = Date.now();
    const entry: LogEntry = {
      seq: ++this.#assignedSeq,
      term: this.#replica.term,
      op: request.op,
      key: request.key,
      ...(request.op === 'put' ? { value: request.value } : {}),
      ...(request.op === 'put' && request.contentType !== undefined
        ? { contentType: request.contentType }
        : {}),
      createdAt: current.exists ? current.createdAt : now,
      modifiedAt: now,
      modifications: current.exists ? current.modifications + 1 : 1,
      ...(request.clientId === undefined ? {} : { clientId: request.clientId }),
      ...(request.requestId === undefined ? {} : { requestId: request.requestId }),
    };
    this.#batch.push(entry);
    this.#pendingNewest.set(entry.key, entry);
    this.#scheduleFlush();
    return this.#committed(entry);
  }

  /**
   * Waits for the entry's seq to commit and checks that the committed entry is this one: after a
   * reconfiguration another head may have assigned the same seq to another write.
   */
  async #committed(entry: LogEntry): Promise<WriteResult> {
    await this.#replica.waitForCommit(entry.seq);
    // Within one term only this head assigns seqs, so only a term change calls for the lookup.
    if (entry.term !== this.#replica.term && this.#replica.entryTerm(entry.seq) !== entry.term) {
      throw new StarError('Unavailable', `write at seq ${entry.seq} was lost in a chain reconfiguration`);
    }
    return resultOf(entry);
  }

  /** Entries assigned but not yet appended: the newest state must include them too. */
  readonly #pendingNewest = new Map<string, LogEntry>();

  #newest(key: string): NewestState {
    const entry = this.#pendingNewest.get(key) ?? this.#replica.dirty.newest(key);
    if (entry !== undefined) {
      return {
        exists: entry.op === 'put',
        version: entry.seq,
        createdAt: entry.createdAt,
        modifications: entry.modifications,
        dirtySeq: entry.seq,
      };
    }
    const record = this.#replica.store.getRecordMeta(key);
    return record === undefined
      ? { exists: false, version: 0, createdAt: 0, modifications: 0 }
      : {
          exists: true,
          version: record.version,
          createdAt: record.createdAt,
          modifications: record.modifications,
        };
  }

  #checkHead(): void {
    if (!this.#replica.isHead) {
      const head = this.#replica.config?.chain[0];
      throw new StarError('MisdirectedRequest', `this node is not the head of shard ${this.#replica.shard}`, {
        ...(head ? { head: head.id, address: head.address } : {}),
        term: this.#replica.term,
      });
    }
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    const batch = this.#batch.splice(0);
    this.#pendingNewest.clear();
    if (batch.length === 0) return;
    try {
      this.#replica.appendDurably(batch);
    } catch (error) {
      const starError = StarError.from(error);
      if (starError.code === 'InsufficientStorage') {
        // Out of space: SQLite rolled the batch back, so it is nowhere (not in the log, never sent
        // on). Its writers fail with the typed error and its seqs are free again for later writes.
        this.#assignedSeq = this.#replica.lastSeq;
        this.#replica.rejectUnappended(starError);
        return;
      }
      // The seqs are assigned and callers wait on them; a log that cannot take them leaves no safe way on.
      this.#replica.fail(`durable append of seqs ${batch[0]!.seq}..${batch.at(-1)!.seq} failed`, error);
    }
  }
}

function validateKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0)
    throw new StarError('BadRequest', 'key must be a non-empty string');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > ChainLimits.maxKeyBytes) {
    throw new StarError(
      'BadRequest',
      `key of ${bytes} bytes exceeds the limit of ${ChainLimits.maxKeyBytes}`,
    );
  }
}

function conditionFailure(request: WriteRequest, current: NewestState): StarError | undefined {
  if (request.op === 'put' && request.mustNotExist && current.exists) {
    return new StarError('PreconditionFailed', `key exists at version ${current.version}`, {
      version: current.version,
    });
  }
  if (
    request.expectedVersion !== undefined &&
    (!current.exists || current.version !== request.expectedVersion)
  ) {
    return new StarError(
      'PreconditionFailed',
      current.exists
        ? `expected version ${request.expectedVersion}, found ${current.version}`
        : `expected version ${request.expectedVersion}, key does not exist`,
      { version: current.exists ? current.version : 0 },
    );
  }
  if (request.op === 'delete' && !current.exists) return new StarError('NotFound', 'key does not exist');
  return undefined;
}

function resultOf(entry: LogEntry): WriteResult {
  return {
    version: entry.seq,
    createdAt: entry.createdAt,
    modifiedAt: entry.modifiedAt,
    modifications: entry.modifications,
  };
}
