import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { failpoint, type LinkRouter } from '@star/core';
import {
  type AckNotice,
  type AppendRequest,
  BatchRequest,
  type BatchResult,
  ChainConfig,
  ChainMethods,
  DeleteRequest,
  GetRequest,
  PutRequest,
  ScanRequest,
  ShardTerm,
  StarError,
  UnwatchRequest,
  WatchRequest,
} from '@star/protocol';
import { WatchRegistry } from '../chain/commit-watch.js';
import type { ReplicaSet } from '../chain/replica-set.js';

/** Compiles a schema once; `check` throws BadRequest naming the first bad field. */
function validator<T>(schema: TSchema, what: string): (body: unknown) => T {
  const compiled = TypeCompiler.Compile(schema);
  return (body) => {
    if (compiled.Check(body)) return body as T;
    const first = compiled.Errors(body).First();
    throw new StarError(
      'BadRequest',
      `invalid ${what}: ${first ? `${first.path || '/'} ${first.message}` : 'bad shape'}`,
    );
  };
}

const asPut = validator<PutRequest>(PutRequest, 'put');
const asDelete = validator<DeleteRequest>(DeleteRequest, 'delete');
const asGet = validator<GetRequest>(GetRequest, 'get');
const asConfig = validator<ChainConfig>(ChainConfig, 'chain configuration');
const asShardTerm = validator<ShardTerm>(ShardTerm, 'shard and term');
const asScan = validator<ScanRequest>(ScanRequest, 'scan');
const asBatch = validator<BatchRequest>(BatchRequest, 'batch');
const asWatch = validator<WatchRequest>(WatchRequest, 'watch');
const asUnwatch = validator<UnwatchRequest>(UnwatchRequest, 'unwatch');

function isAppend(body: unknown): body is AppendRequest {
  const b = body as AppendRequest;
  return typeof b === 'object' && b !== null && Number.isInteger(b.shard) && Array.isArray(b.entries);
}

/** Records one client operation: its kind, how it ended (ok or the error code) and its duration. */
export type OpObserver = (op: string, outcome: string, seconds: number) => void;

function timed<T>(op: string, observe: OpObserver, handler: (body: unknown) => Promise<T>) {
  return async (body: unknown): Promise<T> => {
    const started = performance.now();
    try {
      const result = await handler(body);
      observe(op, 'ok', (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      observe(op, StarError.from(error).code, (performance.now() - started) / 1000);
      throw error;
    }
  };
}

/**
 * The node's link API: client operations (put, delete, get), the controller's `configure`, and the
 * chain's own messages. Every body is checked before anything is touched; chain messages pass the
 * term check of their shard first.
 */
export function registerNodeApi(
  router: LinkRouter,
  replicas: ReplicaSet,
  status: () => unknown,
  observe: OpObserver,
  watches: WatchRegistry = new WatchRegistry(),
): LinkRouter {
  const clientOps: Record<BatchRequest['ops'][number]['method'], (body: unknown) => Promise<unknown>> = {
    [ChainMethods.put]: timed('put', observe, async (body) => {
      const request = asPut(body);
      return replicas.get(request.shard).sequencer.write({ op: 'put', ...request });
    }),
    [ChainMethods.delete]: timed('delete', observe, async (body) => {
      const request = asDelete(body);
      return replicas.get(request.shard).sequencer.write({ op: 'delete', ...request });
    }),
    [ChainMethods.get]: timed('get', observe, async (body) => {
      const request = asGet(body);
      return replicas.get(request.shard).read(request.key);
    }),
  };
  return router
    .handle(ChainMethods.put, clientOps[ChainMethods.put])
    .handle(ChainMethods.delete, clientOps[ChainMethods.delete])
    .handle(ChainMethods.get, clientOps[ChainMethods.get])
    .handle(
      ChainMethods.batch,
      // Each operation runs (and is counted) as if sent alone; outcomes come back in request order.
      timed('batch', observe, async (body) => {
        const { ops } = asBatch(body);
        return Promise.all(
          ops.map((op) =>
            clientOps[op.method](op.body).then(
              (value): BatchResult => ({ ok: true, value }),
              (error: unknown): BatchResult => ({ ok: false, error: StarError.from(error).toBody() }),
            ),
          ),
        );
      }),
    )
    .handle(
      ChainMethods.scan,
      timed('scan', observe, async (body) => {
        const request = asScan(body);
        return replicas.get(request.shard).scan(request);
      }),
    )
    .handle(ChainMethods.watch, (body, link) => {
      const request = asWatch(body);
      return watches.add(replicas.get(request.shard), link, request);
    })
    .handle(ChainMethods.unwatch, (body, link) => {
      watches.remove(link, asUnwatch(body).watchId);
      return {};
    })
    .handle(ChainMethods.configure, (body) => replicas.configure(asConfig(body)))
    .handle(ChainMethods.status, () => status())
    .handle(ChainMethods.handshake, async (body, link) => {
      const request = asShardTerm(body) as ShardTerm & { from?: unknown };
      if (typeof request.from !== 'string') throw new StarError('BadRequest', 'handshake without `from`');
      const replica = await replicas.forChain(request.shard, request.term);
      await replica.checkTerm(request.term);
      return replica.onHandshake(request.from, link);
    })
    .handle(ChainMethods.append, async (body, link) => {
      if (!isAppend(body)) throw new StarError('BadRequest', 'invalid append');
      const replica = replicas.get(body.shard);
      await replica.checkTerm(body.term);
      const appended = replica.onAppend(body, link);
      await failpoint('node.after-append-before-ack', body.shard);
      return appended;
    })
    .handle(ChainMethods.truncate, async (body) => {
      const request = asShardTerm(body) as ShardTerm & { afterSeq?: unknown };
      if (!Number.isInteger(request.afterSeq))
        throw new StarError('BadRequest', 'truncate without `afterSeq`');
      const replica = replicas.get(request.shard);
      await replica.checkTerm(request.term);
      return replica.onTruncate(request.afterSeq as number);
    })
    .handle(ChainMethods.commitSeq, async (body) => {
      const request = asShardTerm(body);
      const replica = replicas.get(request.shard);
      await replica.checkTerm(request.term);
      await failpoint('node.before-version-answer', request.shard);
      return replica.tailCommitSeq();
    })
    .on(ChainMethods.ack, async (body) => {
      const notice = body as AckNotice;
      if (!Number.isInteger(notice?.shard) || !Number.isInteger(notice?.commitSeq)) return;
      const replica = replicas.get(notice.shard);
      // An ack of another term is from a chain that no longer exists: drop it.
      if (notice.term !== replica.term) return;
      replica.onAckNotice(notice.commitSeq);
    });
}
