import { randomUUID } from 'node:crypto';
import { LinkPool, LinkRouter } from '@star/core';
import {
  type BatchOperation,
  ChainMethods,
  type GetResponse,
  type Namespace,
  type Shard,
  StarError,
  type StoredRecord,
  type WriteResult,
} from '@star/protocol';
import { AssignmentFollower } from './assignment-follower.js';
import { toClientError } from './errors.js';
import { type ListOptions, type ListPage, listPage, scanKeys } from './key-scan.js';
import { KeyWatch, type KeyWatch as KeyWatchType, WatchDispatch, type WatchOptions } from './key-watch.js';
import { NodeBatcher } from './node-batcher.js';

export interface StarClientOptions {
  /** Manager HTTP URLs; the client follows the shard map from any of them. */
  managers: string[];
  /** The cluster secret node links require. */
  clusterSecret?: string;
  /** API key for the managers' assignment stream, when they enforce keys. */
  apiKey?: string;
  /**
   * Prefix of this client's id in request ids (for logs). The id always ends in a fresh UUID:
   * request ids restart at 1 with every client, so two clients (or one restarted) sharing an id
   * would have their writes taken for retries of each other's and silently dropped.
   */
  clientName?: string;
  /** Linger for automatic batching, in ms (default 0: calls made in the same event-loop turn). */
  lingerMs?: number;
  /** Largest automatic batch (default 256). */
  maxBatch?: number;
  /** Deadline of one call including its retries (default 10 s). */
  requestTimeoutMs?: number;
  /** Deadline of one attempt at one node (default 3 s). */
  attemptTimeoutMs?: number;
}

export interface KeyOptions {
  /** Hash this instead of the key to pick the shard, so related keys share one. */
  partitionKey?: string;
}

export interface PutOptions extends KeyOptions {
  /** Succeed only if the key is at this version (`ConditionFailed` otherwise). */
  expectedVersion?: number;
  /** Succeed only if the key does not exist. */
  createOnly?: boolean;
  contentType?: string;
}

export interface DeleteOptions extends KeyOptions {
  expectedVersion?: number;
}

/** A key's newest committed value with its metadata (the protocol's StoredRecord). */
export type StarRecord = StoredRecord;

export type BatchOp =
  | { op: 'put'; key: string; value: Uint8Array | string; options?: PutOptions }
  | { op: 'get'; key: string; options?: KeyOptions }
  | { op: 'delete'; key: string; options?: DeleteOptions };

export type BatchOutcome = { ok: true; result: WriteResult | StarRecord } | { ok: false; error: StarError };

type Kind = 'read' | 'write';

/**
 * Star's TypeScript client: follows the shard map, hashes keys to shards, and talks to nodes over
 * persistent multiplexed links — writes to the head, reads spread over the chain. Calls that fail
 * in a way a retry can fix (a moved shard, a newer term, a dead node, a lapsed lease) are retried on
 * a fresh map until their deadline; writes carry a client id and request id, so a retried write is
 * applied once even if the first attempt's reply was lost.
 */
export class StarClient {
  readonly clientId: string;
  readonly follower: AssignmentFollower;
  readonly #pool: LinkPool;
  readonly #router = new LinkRouter();
  readonly #batcher: NodeBatcher;
  readonly #watches: WatchDispatch;
  readonly #requestTimeoutMs: number;
  readonly #attemptTimeoutMs: number;
  #nextRequestId = 1;
  #readSpread = Math.floor(Math.random() * 1024);

  private constructor(options: StarClientOptions) {
    this.clientId = `${options.clientName ?? 'client'}-${randomUUID()}`;
    this.follower = new AssignmentFollower({ managers: options.managers, apiKey: options.apiKey });
    this.#pool = new LinkPool({
      router: this.#router,
      ...(options.clusterSecret ? { secret: options.clusterSecret } : {}),
    });
    this.#batcher = new NodeBatcher(this.#pool, {
      lingerMs: options.lingerMs ?? 0,
      maxBatch: options.maxBatch ?? 256,
    });
    this.#watches = new WatchDispatch(this.#router);
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#attemptTimeoutMs = options.attemptTimeoutMs ?? 3_000;
  }

  /** A client that connects in the background; calls wait for the shard map within their deadline. */
  static create(options: StarClientOptions): StarClient {
    return new StarClient(options);
  }

  /** Connects and waits for the first shard map. */
  static async connect(options: StarClientOptions): Promise<StarClient> {
    const client = new StarClient(options);
    try {
      await client.follower.ready(options.requestTimeoutMs ?? 10_000);
    } catch (error) {
      client.close();
      throw error;
    }
    return client;
  }

  /** Links to nodes, for the scan and watch helpers. */
  get links(): { pool: LinkPool; router: LinkRouter } {
    return { pool: this.#pool, router: this.#router };
  }

  async put(
    namespace: string,
    key: string,
    value: Uint8Array | string,
    options: PutOptions = {},
  ): Promise<WriteResult> {
    const body = {
      key,
      value: typeof value === 'string' ? Buffer.from(value) : value,
      ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
      ...(options.expectedVersion === undefined ? {} : { expectedVersion: options.expectedVersion }),
      ...(options.createOnly ? { mustNotExist: true } : {}),
      clientId: this.clientId,
      requestId: this.#nextRequestId++,
    };
    return this.#call<WriteResult>('write', namespace, key, options.partitionKey, (shard) => ({
      method: ChainMethods.put,
      body: { shard: shard.id, ...body },
    }));
  }

  /** The key's newest committed value; throws `NotFound` when it does not exist. */
  async get(namespace: string, key: string, options: KeyOptions = {}): Promise<StarRecord> {
    const response = await this.#call<GetResponse>('read', namespace, key, options.partitionKey, (shard) => ({
      method: ChainMethods.get,
      body: { shard: shard.id, key },
    }));
    if (!response.found) throw toClientError(new StarError('NotFound', `key ${key} does not exist`));
    const { found: _found, ...record } = response;
    return { ...record, value: new Uint8Array(record.value) };
  }

  /** Deletes the key (a tombstone); throws `NotFound` if it does not exist. */
  async delete(namespace: string, key: string, options: DeleteOptions = {}): Promise<WriteResult> {
    const body = {
      key,
      ...(options.expectedVersion === undefined ? {} : { expectedVersion: options.expectedVersion }),
      clientId: this.clientId,
      requestId: this.#nextRequestId++,
    };
    return this.#call<WriteResult>('write', namespace, key, options.partitionKey, (shard) => ({
      method: ChainMethods.delete,
      body: { shard: shard.id, ...body },
    }));
  }

  /**
   * Many operations, each with its own outcome (not a transaction). Operations on the same key run
   * in the order given; the rest run concurrently and are batched per node automatically.
   */
  async batch(namespace: string, ops: BatchOp[]): Promise<BatchOutcome[]> {
    const outcomes: Promise<BatchOutcome>[] = [];
    const lastByKey = new Map<string, Promise<unknown>>();
    for (const op of ops) {
      const previous = lastByKey.get(op.key) ?? Promise.resolve();
      const outcome = previous
        .then(() => this.#runOp(namespace, op))
        .then(
          (result): BatchOutcome => ({ ok: true, result }),
          (error: unknown): BatchOutcome => ({ ok: false, error: toClientError(error) }),
        );
      lastByKey.set(op.key, outcome);
      outcomes.push(outcome);
    }
    return Promise.all(outcomes);
  }

  #runOp(namespace: string, op: BatchOp): Promise<WriteResult | StarRecord> {
    switch (op.op) {
      case 'put':
        return this.put(namespace, op.key, op.value, op.options);
      case 'get':
        return this.get(namespace, op.key, op.options);
      case 'delete':
        return this.delete(namespace, op.key, op.options);
    }
  }

  /** One page of keys in key order across all shards (see `ListOptions`). */
  list(namespace: string, options: ListOptions = {}): Promise<ListPage> {
    return listPage(this, namespace, options);
  }

  /** Every matching key (and value, with `values: true`) in key order, fetched page by page. */
  scan(namespace: string, options: Omit<ListOptions, 'cursor'> = {}) {
    return scanKeys(this, namespace, options);
  }

  /** Watches a namespace's changes (from now, or after `cursor`); iterate it, `close()` it when done. */
  async watch(namespace: string, options: WatchOptions = {}): Promise<KeyWatchType> {
    // async: a forged cursor (refused by the constructor) rejects rather than throws.
    return new KeyWatch(this, this.#watches, namespace, options).start();
  }

  /**
   * Sends one operation to the right node of the key's shard, retrying what a retry can fix
   * against a refreshed map until the call's deadline.
   */
  async #call<T>(
    kind: Kind,
    namespace: string,
    key: string,
    partitionKey: string | undefined,
    build: (shard: Shard) => BatchOperation,
  ): Promise<T> {
    const deadline = performance.now() + this.#requestTimeoutMs;
    let lastError: StarError | undefined;
    for (let attempt = 0; ; attempt++) {
      const shard = await this.#route(namespace, key, partitionKey);
      const address = this.#target(kind, shard, attempt);
      const remaining = deadline - performance.now();
      if (address !== undefined) {
        try {
          return await this.#batcher.send<T>(
            address,
            build(shard),
            Math.max(1, Math.min(this.#attemptTimeoutMs, remaining)),
          );
        } catch (error) {
          lastError = StarError.from(error);
          if (!lastError.retryable) throw toClientError(lastError);
        }
      } else {
        lastError = new StarError(
          'Unavailable',
          `shard ${shard.id} has no live ${kind === 'write' ? 'head' : 'replica'}`,
        );
      }
      const left = deadline - performance.now();
      if (left <= 0) throw toClientError(lastError);
      // A read tries the next replica at once; otherwise wait for the map to change (or a backoff).
      if (kind === 'read' && attempt < shard.chain.length - 1) continue;
      await this.follower.nextChange(Math.min(left, backoffMs(attempt)));
    }
  }

  /** A namespace created a moment ago may not be in the map yet: give the stream a moment. */
  async #route(namespace: string, key: string, partitionKey: string | undefined): Promise<Shard> {
    if (this.follower.map.version === '') await this.follower.ready(this.#requestTimeoutMs);
    if (!this.follower.map.hasNamespace(namespace)) await this.follower.nextChange(NEW_NAMESPACE_WAIT_MS);
    try {
      return this.follower.map.route(namespace, key, partitionKey);
    } catch (error) {
      throw toClientError(error);
    }
  }

  /** The shards of a namespace, in hash order (waiting briefly for a namespace just created). */
  async shards(namespace: string): Promise<Shard[]> {
    if (this.follower.map.version === '') await this.follower.ready(this.#requestTimeoutMs);
    if (!this.follower.map.hasNamespace(namespace)) await this.follower.nextChange(NEW_NAMESPACE_WAIT_MS);
    try {
      return this.follower.map.shards(namespace);
    } catch (error) {
      throw toClientError(error);
    }
  }

  /** Every namespace in the shard map (waiting for the first map). */
  async namespaces(): Promise<Namespace[]> {
    if (this.follower.map.version === '') await this.follower.ready(this.#requestTimeoutMs);
    return this.follower.map.namespaces();
  }

  /** `host:port` of a live node, if known. */
  address(nodeId: string): string | undefined {
    return this.follower.map.address(nodeId);
  }

  /** Requests one node directly (scans and watches pick their own replica). */
  request<T>(address: string, method: string, body: unknown, timeoutMs = this.#attemptTimeoutMs): Promise<T> {
    return this.#pool.client(address).request<T>(method, body, { timeoutMs });
  }

  get requestTimeoutMs(): number {
    return this.#requestTimeoutMs;
  }

  #target(kind: Kind, shard: Shard, attempt: number): string | undefined {
    const chain = shard.chain;
    if (chain.length === 0) return undefined;
    if (kind === 'write') return this.follower.map.address(chain[0]!);
    // Reads rotate over the chain: spread across replicas, and the next one on a retry.
    const start = this.#readSpread++;
    for (let i = 0; i < chain.length; i++) {
      const address = this.follower.map.address(chain[(start + attempt + i) % chain.length]!);
      if (address !== undefined) return address;
    }
    return undefined;
  }

  close(): void {
    this.follower.close();
    this.#pool.closeAll();
  }
}

const NEW_NAMESPACE_WAIT_MS = 300;

function backoffMs(attempt: number): number {
  return Math.min(500, 25 * 2 ** Math.min(attempt, 5));
}
