import { Gauge, type Registry } from 'prom-client';
import type { Coordinator } from './coordination/coordinator.js';
import type { MetadataStore } from './metadata/metadata-store.js';

/** Leader state, journal position, reconfigurations, node states and shards per node, read on scrape. */
export function registerManagerMetrics(
  registry: Registry,
  parts: {
    store: MetadataStore;
    coordinator: Coordinator;
    isLeader: () => boolean;
    journalLength: () => Promise<number>;
  },
): void {
  const { store, coordinator, isLeader, journalLength } = parts;
  new Gauge({
    name: 'star_manager_is_leader',
    help: '1 on the leader, 0 on followers',
    registers: [registry],
    collect() {
      this.set(isLeader() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'star_manager_journal_entries_applied',
    help: 'Journal entries applied to this manager state',
    registers: [registry],
    collect() {
      this.set(store.state.entriesApplied);
    },
  });
  new Gauge({
    name: 'star_manager_journal_length',
    help: 'Entries in the journal stream (XLEN), until checkpoints trim it',
    registers: [registry],
    async collect() {
      this.set(await journalLength().catch(() => Number.NaN));
    },
  });
  new Gauge({
    name: 'star_manager_replica_moves',
    help: 'Replica moves (rebalance, drain) this manager completed as leader',
    registers: [registry],
    collect() {
      this.set(coordinator.replicaMoves);
    },
  });
  new Gauge({
    name: 'star_manager_head_handovers',
    help: 'Head roles this manager handed over (chain reorders evening out heads) as leader',
    registers: [registry],
    collect() {
      this.set(coordinator.headHandOvers);
    },
  });
  new Gauge({
    name: 'star_manager_reconfigurations',
    help: 'Chain reconfigurations this manager made as leader',
    registers: [registry],
    collect() {
      this.set(coordinator.reconfigurations);
    },
  });
  new Gauge({
    name: 'star_manager_nodes',
    help: 'Nodes by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const node of store.state.nodes.values())
        counts.set(node.state, (counts.get(node.state) ?? 0) + 1);
      for (const [state, count] of counts) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'star_manager_node_replicas',
    help: 'Shard replicas per node',
    labelNames: ['node'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [node, count] of store.state.load()) this.set({ node }, count);
    },
  });
}
