import type { Shard } from '@star/protocol';
import { sleep } from '@star/testkit';
import type { FaultCluster } from './fault-cluster.js';

/**
 * After the run (issue 14 item 3): no journal entry a manager acted on is missing from the journal.
 * A manager acts on a reconfiguration by publishing its term to the nodes, so a lost entry shows as
 * a node running a shard at a term the journal never reached: every running manager's state (the
 * fold of the journal it holds, rebuilt when a failover lost its last entry) must be the same, and
 * no node may run any shard at a higher term than that state holds.
 */
export async function checkJournalKept(faults: FaultCluster, attempts = 5): Promise<string[]> {
  // A reconfiguration under way (or a follower a moment behind the journal's tail) can look like a
  // gap once; a lost entry stays. Nodes are asked before managers: a term reached a node only
  // after it was journaled.
  let problems: string[] = [];
  for (let attempt = 0; attempt < attempts; attempt++) {
    problems = await lookOnce(faults);
    if (problems.length === 0) return [];
    await sleep(1_000);
  }
  return problems;
}

async function lookOnce(faults: FaultCluster): Promise<string[]> {
  const problems: string[] = [];
  const running = new Map<string, { shard: number; term: number }[]>();
  for (const node of faults.nodeIds) {
    if (faults.node(node).process.isRunning()) running.set(node, (await faults.nodeStatus(node)).shards);
  }
  const views = new Map<string, Shard[]>();
  for (const [id, manager] of faults.cluster.managers) {
    if (!manager.process.isRunning()) continue;
    const { shards } = await faults.cluster.api<{ shards: Shard[] }>(
      manager.url,
      'GET',
      `/v1/shards?namespace=${faults.options.namespace}`,
    );
    views.set(id, shards);
  }
  const [first, ...rest] = [...views];
  if (first === undefined) return ['journal check: no manager answered'];
  const terms = (shards: Shard[]) => shards.map((s) => `${s.id}@${s.term}`).join(' ');
  for (const [id, shards] of rest) {
    if (terms(shards) !== terms(first[1]))
      problems.push(`journal check: ${id} holds ${terms(shards)} but ${first[0]} holds ${terms(first[1])}`);
  }
  const journaled = new Map(first[1].map((shard) => [shard.id, shard.term]));
  for (const [node, replicas] of running) {
    for (const replica of replicas) {
      const term = journaled.get(replica.shard);
      if (term !== undefined && replica.term > term)
        problems.push(
          `journal check: ${node} runs shard ${replica.shard} at term ${replica.term}, the journal only reached ${term}`,
        );
    }
  }
  return problems;
}
