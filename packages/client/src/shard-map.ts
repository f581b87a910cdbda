import { type Namespace, type NodeInfo, type Shard, StarError, shardForKey } from '@star/protocol';

/** What the manager's `/v1/assignments` stream sends: a snapshot, then versioned changes. */
export type AssignmentMessage =
  | { type: 'snapshot'; version: string; namespaces: Namespace[]; shards: Shard[]; nodes: NodeInfo[] }
  | ({ type: 'change'; version: string } & AssignmentChange);

type AssignmentChange =
  | { entry: 'shard.reconfigured'; shard: Shard }
  | { entry: 'namespace.created'; namespace: Namespace; shards: Shard[] }
  | { entry: 'namespace.deleted'; name: string }
  | { entry: 'node.registered' | 'node.state'; node: NodeInfo }
  | { entry: 'node.removed'; id: string };

/**
 * The client's copy of the shard map: namespaces, each one's shards ordered by hash range, and
 * node addresses. Built from the assignment stream; `route` maps a key to its shard.
 */
export class ShardMap {
  readonly #namespaces = new Map<string, Namespace>();
  readonly #shardsByNamespace = new Map<string, Shard[]>();
  readonly #shards = new Map<number, Shard>();
  readonly #nodes = new Map<string, NodeInfo>();
  version = '';

  apply(message: AssignmentMessage): void {
    if (message.type === 'snapshot') {
      this.#namespaces.clear();
      this.#shardsByNamespace.clear();
      this.#shards.clear();
      this.#nodes.clear();
      for (const namespace of message.namespaces) this.#namespaces.set(namespace.name, namespace);
      for (const shard of message.shards) this.#putShard(shard);
      for (const node of message.nodes) this.#nodes.set(node.id, node);
    } else {
      this.#applyChange(message);
    }
    this.version = message.version;
  }

  #applyChange(change: AssignmentChange): void {
    switch (change.entry) {
      case 'shard.reconfigured':
        if (change.shard) this.#putShard(change.shard);
        return;
      case 'namespace.created':
        this.#namespaces.set(change.namespace.name, change.namespace);
        for (const shard of change.shards) this.#putShard(shard);
        return;
      case 'namespace.deleted':
        this.#namespaces.delete(change.name);
        for (const shard of this.#shardsByNamespace.get(change.name) ?? []) this.#shards.delete(shard.id);
        this.#shardsByNamespace.delete(change.name);
        return;
      case 'node.registered':
      case 'node.state':
        if (change.node) this.#nodes.set(change.node.id, change.node);
        return;
      case 'node.removed':
        this.#nodes.delete(change.id);
        return;
    }
  }

  #putShard(shard: Shard): void {
    // A reconfiguration never moves a shard backwards in term: an older copy is ignored.
    const known = this.#shards.get(shard.id);
    if (known !== undefined && known.term > shard.term) return;
    this.#shards.set(shard.id, shard);
    const list = (this.#shardsByNamespace.get(shard.namespace) ?? []).filter((s) => s.id !== shard.id);
    list.push(shard);
    list.sort((a, b) => a.hashRange.min - b.hashRange.min);
    this.#shardsByNamespace.set(shard.namespace, list);
  }

  namespaces(): Namespace[] {
    return [...this.#namespaces.values()];
  }

  hasNamespace(name: string): boolean {
    return this.#namespaces.has(name);
  }

  shards(namespace: string): Shard[] {
    const shards = this.#shardsByNamespace.get(namespace);
    if (shards === undefined || !this.#namespaces.has(namespace))
      throw new StarError('NotFound', `namespace ${namespace} does not exist`);
    return shards;
  }

  shard(id: number): Shard | undefined {
    return this.#shards.get(id);
  }

  /** The shard whose hash range holds `key` (or the partition key that replaces it in the hash). */
  route(namespace: string, key: string, partitionKey?: string): Shard {
    const shard = shardForKey(this.shards(namespace), partitionKey ?? key);
    if (shard === undefined)
      throw new StarError('Unavailable', `namespace ${namespace} has no shard for this key yet`);
    return shard;
  }

  /** `host:port` of a node's links, if the node is known and not dead. */
  address(nodeId: string): string | undefined {
    const node = this.#nodes.get(nodeId);
    return node === undefined || node.state === 'dead' ? undefined : node.publicAddress;
  }
}
