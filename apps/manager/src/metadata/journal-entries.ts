import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Namespace, NodeInfo, NodeState, Shard, ShardStatus } from '@star/protocol';

const entry = <K extends string, D extends Parameters<typeof Type.Object>[0]>(type: K, data: D) =>
  Type.Object({ type: Type.Literal(type), data: Type.Object(data), at: Type.Optional(Type.Number()) });

/**
 * Every metadata change is one of these, appended to the fenced journal by the leader and applied
 * in journal order by every manager (leader and followers alike): the state is a fold of them.
 * The schema is checked as each entry is read back, so a malformed entry is logged and skipped by
 * every manager alike, never folded in half-understood.
 */
export const MetadataEntrySchema = Type.Union([
  entry('namespace.created', {
    namespace: Namespace,
    shards: Type.Array(Shard),
    nextShardId: Type.Integer({ minimum: 0 }),
  }),
  entry('namespace.deleted', { name: Type.String() }),
  entry('node.registered', { node: NodeInfo }),
  entry('node.state', { id: Type.String(), state: NodeState }),
  entry('node.removed', { id: Type.String() }),
  entry('shard.reconfigured', {
    id: Type.Integer({ minimum: 0 }),
    term: Type.Integer({ minimum: 0 }),
    chain: Type.Array(Type.String({ minLength: 1 })),
    status: ShardStatus,
  }),
  // A joiner found holding everything its chain had committed (JoinerSync): it counts as a holder.
  entry('shard.synced', {
    id: Type.Integer({ minimum: 0 }),
    term: Type.Integer({ minimum: 0 }),
    node: Type.String({ minLength: 1 }),
  }),
]);
export type MetadataEntry = Static<typeof MetadataEntrySchema>;

export type MetadataEntryType = MetadataEntry['type'];

/** One compiled check per entry type, so a problem is reported against the type the entry claims. */
const checks = new Map<string, ReturnType<typeof TypeCompiler.Compile>>(
  MetadataEntrySchema.anyOf.map((schema) => [schema.properties.type.const, TypeCompiler.Compile(schema)]),
);

/** Why `value` is not a metadata entry, or undefined when it is one. */
export function metadataEntryProblem(value: unknown): string | undefined {
  const type = (value as { type?: unknown } | null)?.type;
  const check = typeof type === 'string' ? checks.get(type) : undefined;
  if (check === undefined) return `/type ${JSON.stringify(type)} is not a metadata entry type`;
  if (check.Check(value)) return undefined;
  const first = check.Errors(value).First();
  return first ? `${first.path || '/'} ${first.message}` : 'bad shape';
}
