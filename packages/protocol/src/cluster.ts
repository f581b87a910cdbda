import { type Static, Type } from '@sinclair/typebox';

/** Services of a Star cluster; a process's logs and metrics carry its service name. */
export const ServiceNames = ['manager', 'node', 'checkpointer', 'gateway'] as const;
export type ServiceName = (typeof ServiceNames)[number];

/** Inclusive range over the uint32 key-hash space; a namespace's shards tile [0, 2^32-1] exactly. */
export const HashRange = Type.Object({
  min: Type.Integer({ minimum: 0, maximum: 0xffffffff }),
  max: Type.Integer({ minimum: 0, maximum: 0xffffffff }),
});
export type HashRange = Static<typeof HashRange>;

export const ShardStatus = Type.Union([
  Type.Literal('SteadyState'),
  Type.Literal('Reconfiguring'),
  Type.Literal('Joining'),
]);
export type ShardStatus = Static<typeof ShardStatus>;

export const Shard = Type.Object({
  id: Type.Integer({ minimum: 0 }),
  namespace: Type.String({ minLength: 1 }),
  hashRange: HashRange,
  /** Only grows; every chain message carries it. */
  term: Type.Integer({ minimum: 0 }),
  /** Node ids, head first, tail last. */
  chain: Type.Array(Type.String({ minLength: 1 })),
  status: ShardStatus,
  /**
   * Members that joined the chain (as tails) and are not yet known to hold every committed entry
   * (DESIGN §3.7): they do not count as holders, so no reconfiguration leaves a chain of joiners
   * only. Absent when there are none.
   */
  joining: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
});
export type Shard = Static<typeof Shard>;

export const Namespace = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
  shards: Type.Integer({ minimum: 1, maximum: 4096 }),
  replicationFactor: Type.Integer({ minimum: 1, maximum: 9, default: 3 }),
});
export type Namespace = Static<typeof Namespace>;

export const NodeState = Type.Union([
  Type.Literal('alive'),
  Type.Literal('suspect'),
  Type.Literal('dead'),
  Type.Literal('draining'),
]);
export type NodeState = Static<typeof NodeState>;

export const NodeInfo = Type.Object({
  id: Type.String({ minLength: 1 }),
  publicAddress: Type.String({ minLength: 1 }),
  internalAddress: Type.String({ minLength: 1 }),
  group: Type.String({ minLength: 1 }),
  state: NodeState,
  capacity: Type.Integer({ minimum: 1 }),
  /** The node process's current incarnation (DESIGN §3.14), as it registered; absent before it did. */
  incarnation: Type.Optional(Type.String({ minLength: 1 })),
});
export type NodeInfo = Static<typeof NodeInfo>;

/** The shard map clients and gateways route by: every shard of a namespace with its chain. */
export const ShardMap = Type.Object({
  namespace: Namespace,
  shards: Type.Array(Shard),
});
export type ShardMap = Static<typeof ShardMap>;
