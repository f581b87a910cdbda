/** One sample of a Prometheus text exposition: `name{label="value",...} number`. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const labelPattern = /(\w+)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.lastIndexOf(' ');
    if (space < 0) continue;
    const name = brace >= 0 && brace < space ? line.slice(0, brace) : line.slice(0, space);
    const labels: Record<string, string> = {};
    if (brace >= 0 && brace < space) {
      const body = line.slice(brace + 1, line.lastIndexOf('}'));
      for (const match of body.matchAll(labelPattern)) labels[match[1]!] = match[2]!;
    }
    samples.push({ name, labels, value: Number(line.slice(space + 1)) });
  }
  return samples;
}

function sum(samples: MetricSample[], name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const sample of samples) {
    if (sample.name !== name) continue;
    if (Object.entries(labels).every(([key, value]) => sample.labels[key] === value)) total += sample.value;
  }
  return total;
}

/** The counters of one node the benchmark compares before and after a run. */
export interface NodeCounters {
  cleanReads: number;
  dirtyReads: number;
  /** Durable appends (group commits) and the entries they held. */
  appendBatches: number;
  appendEntries: number;
  gcSeconds: number;
}

export async function fetchNodeCounters(serviceUrl: string): Promise<NodeCounters> {
  const response = await fetch(`${serviceUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${serviceUrl}/metrics answered HTTP ${response.status}`);
  const samples = parsePrometheusText(await response.text());
  return {
    cleanReads: sum(samples, 'star_node_reads_total', { kind: 'clean' }),
    dirtyReads: sum(samples, 'star_node_reads_total', { kind: 'dirty' }),
    appendBatches: sum(samples, 'star_node_append_batch_entries_count'),
    appendEntries: sum(samples, 'star_node_append_batch_entries_sum'),
    gcSeconds: sum(samples, 'nodejs_gc_duration_seconds_sum'),
  };
}

export function counterDelta(before: NodeCounters, after: NodeCounters): NodeCounters {
  return {
    cleanReads: after.cleanReads - before.cleanReads,
    dirtyReads: after.dirtyReads - before.dirtyReads,
    appendBatches: after.appendBatches - before.appendBatches,
    appendEntries: after.appendEntries - before.appendEntries,
    gcSeconds: after.gcSeconds - before.gcSeconds,
  };
}

/** The V8 heap and off-heap (Buffers, native) memory a node reports in its default process metrics. */
export interface NodeHeap {
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
}

export async function fetchNodeHeap(serviceUrl: string): Promise<NodeHeap> {
  const response = await fetch(`${serviceUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${serviceUrl}/metrics answered HTTP ${response.status}`);
  const samples = parsePrometheusText(await response.text());
  return {
    heapUsedBytes: sum(samples, 'nodejs_heap_size_used_bytes'),
    heapTotalBytes: sum(samples, 'nodejs_heap_size_total_bytes'),
    externalBytes: sum(samples, 'nodejs_external_memory_bytes'),
  };
}
