import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { LinkRouter } from '@star/core';
import { SnapshotMethods, StarError } from '@star/protocol';
import type { ReplicaSet } from '../chain/replica-set.js';
import type { SnapshotBootstrap } from '../chain/snapshot-bootstrap.js';
import { compactShard } from '../storage/shard-compactor.js';
import type { ShardSnapshotter } from '../storage/shard-snapshot.js';

const Shard = Type.Integer({ minimum: 0 });
const schemas = {
  take: Type.Object({ shard: Shard }),
  read: Type.Object({
    id: Type.String({ minLength: 1 }),
    offset: Type.Integer({ minimum: 0 }),
    length: Type.Integer({ minimum: 1 }),
  }),
  release: Type.Object({ id: Type.String({ minLength: 1 }) }),
  compact: Type.Object({
    shard: Shard,
    olderThanMs: Type.Integer({ minimum: 0 }),
    trimLogUpTo: Type.Integer({ minimum: 0 }),
  }),
  reseed: Type.Object({
    shard: Shard,
    term: Type.Integer({ minimum: 0 }),
    minSeq: Type.Integer({ minimum: 0 }),
  }),
};

type Body<K extends keyof typeof schemas> = (typeof schemas)[K]['static'];

function checked<K extends keyof typeof schemas>(kind: K): (body: unknown) => Body<K> {
  const compiled = TypeCompiler.Compile(schemas[kind]);
  return (body) => {
    if (compiled.Check(body)) return body as Body<K>;
    const first = compiled.Errors(body).First();
    throw new StarError(
      'BadRequest',
      `invalid ${kind}: ${first ? `${first.path || '/'} ${first.message}` : 'bad shape'}`,
    );
  };
}

const asTake = checked('take');
const asRead = checked('read');
const asRelease = checked('release');
const asCompact = checked('compact');
const asReseed = checked('reseed');

/**
 * The node's checkpoint methods: snapshots for checkpointers (take, read in chunks, release),
 * compaction of a replica, and re-seeding a replica from a snapshot when its predecessor's log no
 * longer reaches back to it.
 */
export function registerSnapshotApi(
  router: LinkRouter,
  parts: { replicas: ReplicaSet; snapshotter: ShardSnapshotter; bootstrap: SnapshotBootstrap },
): void {
  const { replicas, snapshotter, bootstrap } = parts;
  router
    .handle(SnapshotMethods.take, (body) => {
      const { shard } = asTake(body);
      return snapshotter.take(shard, replicas.get(shard).store);
    })
    .handle(SnapshotMethods.read, (body) => {
      const { id, offset, length } = asRead(body);
      return snapshotter.read(id, offset, length);
    })
    .handle(SnapshotMethods.release, async (body) => {
      snapshotter.release(asRelease(body).id);
      return {};
    })
    .handle(SnapshotMethods.compact, (body) => {
      const { shard, olderThanMs, trimLogUpTo } = asCompact(body);
      return compactShard(replicas.get(shard).store, { olderThanMs, trimLogUpTo });
    })
    .handle(SnapshotMethods.reseed, async (body) => {
      const { shard, term, minSeq } = asReseed(body);
      const replica = replicas.get(shard);
      await replica.checkTerm(term);
      if (replica.lastSeq >= minSeq) return { lastSeq: replica.lastSeq };
      return bootstrap.reseed(replicas, shard, minSeq);
    });
}
