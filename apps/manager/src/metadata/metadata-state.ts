import type { Namespace, NodeInfo, Shard } from '@star/protocol';
import type { MetadataEntry } from './journal-entries.js';

/**
 * The joiners of a shard after its chain becomes `chain`: those still in it, and every member new
 * to it (a replacement, a move's target: each joins as tail and holds nothing the chain committed
 * until it has caught up). Derived here rather than carried by each entry, so no path that adds
 * a member can forget it.
 */
export function joinersAfter(shard: Shard, chain: readonly string[]): string[] {
  const before = new Set(shard.joining ?? []);
  return chain.filter((id) => before.has(id) || !shard.chain.includes(id));
}

/** `shard` with `joining` set, or without the field when there are none. */
function withJoining(shard: Shard, joining: string[]): Shard {
  const { joining: _, ...rest } = shard;
  return joining.length === 0 ? rest : { ...rest, joining };
}

/**
 * The manager's metadata: namespaces, their shards with chains and terms, and nodes. Changed only
 * by applying journal entries, so every manager that applied the same entries holds the same state.
 */
export class MetadataState {
  readonly namespaces = new Map<string, Namespace>();
  readonly shards = new Map<number, Shard>();
  readonly nodes = new Map<string, NodeInfo>();
  nextShardId = 1;
  /** Stream id of the last entry applied ('0' before any). */
  lastEntryId = '0';
  entriesApplied = 0;

  apply(entry: MetadataEntry, id: string): void {
    switch (entry.type) {
      case 'namespace.created': {
        this.namespaces.set(entry.data.namespace.name, entry.data.namespace);
        for (const shard of entry.data.shards) this.shards.set(shard.id, shard);
        this.nextShardId = Math.max(this.nextShardId, entry.data.nextShardId);
        break;
      }
      case 'namespace.deleted': {
        this.namespaces.delete(entry.data.name);
        for (const [id, shard] of this.shards)
          if (shard.namespace === entry.data.name) this.shards.delete(id);
        break;
      }
      case 'node.registered':
        this.nodes.set(entry.data.node.id, entry.data.node);
        break;
      case 'node.state': {
        const node = this.nodes.get(entry.data.id);
        if (node) this.nodes.set(node.id, { ...node, state: entry.data.state });
        break;
      }
      case 'node.removed':
        this.nodes.delete(entry.data.id);
        break;
      case 'shard.reconfigured': {
        const shard = this.shards.get(entry.data.id);
        // Terms only grow: an entry that would lower one is ignored rather than trusted.
        if (shard && entry.data.term > shard.term) {
          this.shards.set(
            shard.id,
            withJoining(
              { ...shard, term: entry.data.term, chain: entry.data.chain, status: entry.data.status },
              joinersAfter(shard, entry.data.chain),
            ),
          );
        }
        break;
      }
      case 'shard.synced': {
        const shard = this.shards.get(entry.data.id);
        // Only at the term it was checked at: a later term may have re-added the node afresh.
        if (shard && shard.term === entry.data.term && shard.joining?.includes(entry.data.node))
          this.shards.set(
            shard.id,
            withJoining(
              shard,
              shard.joining.filter((id) => id !== entry.data.node),
            ),
          );
        break;
      }
    }
    this.lastEntryId = id;
    this.entriesApplied++;
  }

  /** Moves past an entry that could not be applied (a malformed one), changing nothing else. */
  skip(id: string): void {
    this.lastEntryId = id;
    this.entriesApplied++;
  }

  shardsOf(namespace: string): Shard[] {
    return [...this.shards.values()]
      .filter((shard) => shard.namespace === namespace)
      .sort((a, b) => a.id - b.id);
  }

  /** Replicas per node over every shard, for placement. */
  load(): Map<string, number> {
    const load = new Map<string, number>();
    for (const node of this.nodes.keys()) load.set(node, 0);
    for (const shard of this.shards.values()) {
      for (const id of shard.chain) load.set(id, (load.get(id) ?? 0) + 1);
    }
    return load;
  }

  /** Chains each node heads (writes land on heads), for placement. */
  heads(): Map<string, number> {
    const heads = new Map<string, number>();
    for (const shard of this.shards.values()) {
      const head = shard.chain[0];
      if (head !== undefined) heads.set(head, (heads.get(head) ?? 0) + 1);
    }
    return heads;
  }

  /** Everything the state holds, for a manager image (see images/manager-image.ts). */
  snapshot(): MetadataSnapshot {
    return {
      journalId: this.lastEntryId,
      entries: this.entriesApplied,
      namespaces: [...this.namespaces.values()].sort((a, b) => a.name.localeCompare(b.name)),
      shards: [...this.shards.values()].sort((a, b) => a.id - b.id),
      nodes: [...this.nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
      nextShardId: this.nextShardId,
    };
  }

  /** Replaces everything, in place (routes hold this object), with what an image holds. */
  restore(snapshot: MetadataSnapshot): void {
    this.namespaces.clear();
    this.shards.clear();
    this.nodes.clear();
    for (const namespace of snapshot.namespaces) this.namespaces.set(namespace.name, namespace);
    for (const shard of snapshot.shards) this.shards.set(shard.id, shard);
    for (const node of snapshot.nodes) this.nodes.set(node.id, node);
    this.nextShardId = snapshot.nextShardId;
    this.lastEntryId = snapshot.journalId;
    this.entriesApplied = snapshot.entries;
  }

  /** A canonical, key-sorted dump: two managers with equal state produce equal strings. */
  dump(): string {
    return canonicalJson({
      namespaces: [...this.namespaces.values()].sort((a, b) => a.name.localeCompare(b.name)),
      shards: [...this.shards.values()].sort((a, b) => a.id - b.id),
      nodes: [...this.nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
      nextShardId: this.nextShardId,
    });
  }
}

/** The state as of one journal entry: what a manager image holds. */
export interface MetadataSnapshot {
  /** The last journal entry folded in. */
  journalId: string;
  entries: number;
  namespaces: Namespace[];
  shards: Shard[];
  nodes: NodeInfo[];
  nextShardId: number;
}

/** JSON with object keys sorted at every level, so equal values always serialize equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
