import type { Shard } from '@star/protocol';

/** Heads per node over `shards`, counting every node in `nodes` (a node heading nothing counts 0). */
export function headCounts(shards: Shard[], nodes: string[]): Map<string, number> {
  const counts = new Map(nodes.map((id) => [id, 0]));
  for (const shard of shards) {
    const head = shard.chain[0];
    if (head !== undefined) counts.set(head, (counts.get(head) ?? 0) + 1);
  }
  return counts;
}

/**
 * Heads are even when no alive node heads more than one shard more than another (8 shards on 5
 * nodes: every node heads 1 or 2). A head does a shard's write work (sequencing, the first hop),
 * so after churn the leader must hand head roles back (issue 13 item 9). Undefined when even,
 * else the counts, in words.
 */
export function headBalanceProblem(shards: Shard[], nodes: string[]): string | undefined {
  const counts = headCounts(shards, nodes);
  const values = [...counts.values()];
  if (values.length === 0 || Math.max(...values) - Math.min(...values) <= 1) return undefined;
  const spread = [...counts].map(([id, n]) => `${id}=${n}`).join(' ');
  return `heads not within one of even: ${spread}`;
}
