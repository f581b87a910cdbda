import type { Namespace, NodeInfo, NodeState, Shard, ShardStatus } from '@star/protocol';

/**
 * Every metadata change is one of these, appended to the fenced journal by the leader and applied
 * in journal order by every manager (leader and followers alike): the state is a fold of them.
 */
export type MetadataEntry =
  | { type: 'namespace.created'; data: { namespace: Namespace; shards: Shard[]; nextShardId: number } }
  | { type: 'namespace.deleted'; data: { name: string } }
  | { type: 'node.registered'; data: { node: NodeInfo } }
  | { type: 'node.state'; data: { id: string; state: NodeState } }
  | { type: 'node.removed'; data: { id: string } }
  | { type: 'shard.reconfigured'; data: { id: number; term: number; chain: string[]; status: ShardStatus } };

export type MetadataEntryType = MetadataEntry['type'];
