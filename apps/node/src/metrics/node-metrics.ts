import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ReplicaSet } from '../chain/replica-set.js';
import type { ReplicaMetrics } from '../chain/shard-replica.js';

/** The node's own series: reads by cleanliness (the dirty-read ratio), batch sizes, replication lag. */
export function createNodeMetrics(
  registry: Registry,
  replicas: () => ReplicaSet | undefined,
): ReplicaMetrics & {
  /** Records one client operation; the labelled series are looked up once per op and outcome. */
  observeOp(op: string, outcome: string, seconds: number): void;
} {
  const reads = new Counter({
    name: 'star_node_reads_total',
    help: 'Reads served, by whether the key was clean or needed a version query to the tail',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const batches = new Histogram({
    name: 'star_node_append_batch_entries',
    help: 'Entries per durable append (group commit size)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    registers: [registry],
  });
  const opDuration = new Histogram({
    name: 'star_node_op_duration_seconds',
    help: 'Client operations on this node by op and outcome',
    labelNames: ['op', 'outcome'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const cleanReads = reads.labels({ kind: 'clean' });
  const dirtyReads = reads.labels({ kind: 'dirty' });
  const opSeries = new Map<string, { observe(value: number): void }>();
  new Gauge({
    name: 'star_node_replication_lag_entries',
    help: 'Entries held but not yet committed, per shard (lastSeq - commitSeq)',
    labelNames: ['shard', 'role'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const replica of replicas()?.all() ?? []) {
        this.set({ shard: String(replica.shard), role: replica.role }, replica.lastSeq - replica.commitSeq);
      }
    },
  });
  return {
    observeOp: (op, outcome, seconds) => {
      const key = `${op}\u0000${outcome}`;
      let series = opSeries.get(key);
      if (series === undefined) {
        series = opDuration.labels({ op, outcome });
        opSeries.set(key, series);
      }
      series.observe(seconds);
    },
    onRead: (kind) => (kind === 'clean' ? cleanReads : dirtyReads).inc(),
    onAppendBatch: (entries) => batches.observe(entries),
  };
}
