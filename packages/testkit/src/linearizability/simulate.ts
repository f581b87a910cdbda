/**
 * Generates histories that are linearizable by construction, for testing the checker: simulated
 * clients invoke operations with random latencies, and each takes effect on a real sequential
 * in-memory store at a random instant inside its interval (an indeterminate one maybe never, maybe
 * after its client gave up).
 */
import type { CasInput, DeleteInput, Operation, OperationType } from './history.js';

/** A small deterministic PRNG (mulberry32): same seed, same history. */
export function randomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimulationOptions {
  seed: number;
  clients: number;
  keys: number;
  /** Operations in all. */
  operations: number;
  /** Keys spread over this many shards, each with its own sequence of versions (default 3). */
  shards?: number;
  /** Chance an operation ends indeterminate (default 0); half of those take effect. */
  infoRate?: number;
  /** Chance a write fails without effect (default 0.02). */
  failRate?: number;
  /** Whether reads report versions (default true). */
  readVersions?: boolean;
  /** Largest delay from invocation to effect and from effect to completion (default 10). */
  maxLatency?: number;
  /** Relative weights of read, write, cas and delete (default 50, 25, 15, 10). */
  mix?: Record<OperationType, number>;
}

interface Planned {
  client: number;
  key: string;
  shard: number;
  type: OperationType;
  invokedAt: number;
  effectAt: number;
  completedAt: number;
  outcome: 'ok' | 'fail' | 'info';
  /** Whether an indeterminate operation takes effect. */
  applies: boolean;
  op?: Operation;
}

export function simulateHistory(options: SimulationOptions): Operation[] {
  const random = randomSource(options.seed);
  const shards = options.shards ?? 3;
  const infoRate = options.infoRate ?? 0;
  const failRate = options.failRate ?? 0.02;
  const readVersions = options.readVersions ?? true;
  const maxLatency = options.maxLatency ?? 10;
  const mix = options.mix ?? { read: 50, write: 25, cas: 15, delete: 10 };
  const types = Object.keys(mix) as OperationType[];
  const totalWeight = types.reduce((sum, type) => sum + mix[type], 0);
  const pickType = (): OperationType => {
    let r = random() * totalWeight;
    for (const type of types) {
      r -= mix[type];
      if (r < 0) return type;
    }
    return types[types.length - 1]!;
  };

  // Plan each client's sequence of operations in time.
  const planned: Planned[] = [];
  const clock = Array.from({ length: options.clients }, () => random() * maxLatency);
  for (let i = 0; i < options.operations; i++) {
    const client = i % options.clients;
    const keyIndex = Math.floor(random() * options.keys);
    const invokedAt = clock[client]! + random() * maxLatency * 0.2;
    const info = random() < infoRate;
    const effectAt = invokedAt + random() * maxLatency * (info ? 3 : 1);
    const completedAt = info ? invokedAt + maxLatency * 2 : effectAt + random() * maxLatency;
    clock[client] = completedAt;
    const type = pickType();
    const outcome = info ? 'info' : type === 'write' && random() < failRate ? 'fail' : 'ok';
    planned.push({
      client,
      key: `key-${keyIndex}`,
      shard: keyIndex % shards,
      type,
      invokedAt,
      effectAt,
      completedAt,
      outcome,
      applies: info && random() < 0.5,
    });
  }

  // Run them on a sequential store at their effect instants.
  const store = new Map<string, { value: string | null; version: number }>();
  const sequence = new Array<number>(shards).fill(0);
  let written = 0;
  for (const p of [...planned].sort((a, b) => a.effectAt - b.effectAt)) {
    const current = store.get(p.key) ?? { value: null, version: 0 };
    const takesEffect = p.outcome === 'ok' || p.applies;
    const base = { id: 0, client: p.client, key: p.key, invokedAt: p.invokedAt };
    const mutate = (value: string | null): number => {
      const version = ++sequence[p.shard]!;
      store.set(p.key, { value, version });
      return version;
    };
    // How the operation ends, given whether its precondition held and the output it would get.
    const end = (holds: boolean, output: object): object => {
      if (p.outcome === 'info') return { outcome: 'info', completedAt: p.completedAt };
      if (p.outcome === 'fail' || !holds) return { outcome: 'fail', completedAt: p.completedAt };
      return { outcome: 'ok', output, completedAt: p.completedAt };
    };
    let op: object;
    switch (p.type) {
      case 'read': {
        const withVersion = readVersions && current.value !== null;
        const output = withVersion
          ? { value: current.value, version: current.version }
          : { value: current.value };
        op = { ...base, type: 'read', input: {}, ...end(true, output) };
        break;
      }
      case 'write': {
        const value = `c${p.client}-${written++}`;
        const version = takesEffect ? mutate(value) : 0;
        op = { ...base, type: 'write', input: { value }, ...end(true, { version }) };
        break;
      }
      case 'cas': {
        const value = `c${p.client}-${written++}`;
        const r = random();
        const stale = Math.max(current.version - 1 - Math.floor(random() * 3), 0);
        const input: CasInput =
          r < 0.5
            ? { value, expectedVersion: current.version }
            : r < 0.7
              ? { value, expectedVersion: stale }
              : { value, mustNotExist: true };
        const holds = input.mustNotExist
          ? current.value === null
          : current.value !== null && current.version === input.expectedVersion;
        const version = takesEffect && holds ? mutate(value) : 0;
        op = { ...base, type: 'cas', input, ...end(holds, { version }) };
        break;
      }
      case 'delete': {
        const expectedVersion = random() < 0.7 ? current.version : Math.max(current.version - 1, 0);
        const input: DeleteInput = random() < 0.5 ? {} : { expectedVersion };
        const holds =
          current.value !== null &&
          (input.expectedVersion === undefined || input.expectedVersion === current.version);
        const version = takesEffect && holds ? mutate(null) : 0;
        // Deletes do not always report their tombstone's version.
        op = { ...base, type: 'delete', input, ...end(holds, random() < 0.7 ? { version } : {}) };
        break;
      }
    }
    p.op = op as Operation;
  }

  const ops = planned.map((p) => p.op!).sort((a, b) => a.invokedAt - b.invokedAt);
  ops.forEach((op, i) => {
    op.id = i;
  });
  return ops;
}

/** Makes one read return a value no operation wrote; returns it, or undefined if there is no ok read. */
export function corruptReadWithUnwrittenValue(ops: Operation[], random: () => number): Operation | undefined {
  const reads = ops.filter((op) => op.type === 'read' && op.outcome === 'ok');
  const read = reads[Math.floor(random() * reads.length)];
  if (read === undefined || read.type !== 'read' || read.outcome !== 'ok') return undefined;
  read.output = { ...read.output, value: `never-written-${read.id}` };
  return read;
}

/**
 * Makes one read return a value that was overwritten before the read was invoked (by a completed
 * operation with a higher version); returns it, or undefined if no read qualifies.
 */
export function corruptReadWithStaleValue(ops: Operation[], random: () => number): Operation | undefined {
  // Per key: completed mutations by completion (with the running highest version), and the
  // completed writes and cas by version.
  const byKey = new Map<
    string,
    { completions: number[]; highest: number[]; written: { value: string; version: number }[] }
  >();
  const mutations = ops
    .filter((op) => op.type !== 'read' && op.outcome === 'ok' && op.output.version !== undefined)
    .sort((a, b) => a.completedAt! - b.completedAt!);
  for (const op of mutations) {
    if (op.type === 'read' || op.outcome !== 'ok') continue;
    let entry = byKey.get(op.key);
    if (entry === undefined) {
      entry = { completions: [], highest: [], written: [] };
      byKey.set(op.key, entry);
    }
    const version = op.output.version!;
    entry.completions.push(op.completedAt);
    entry.highest.push(Math.max(version, entry.highest.at(-1) ?? -1));
    if (op.type !== 'delete') entry.written.push({ value: op.input.value, version });
  }
  for (const entry of byKey.values()) entry.written.sort((a, b) => a.version - b.version);
  const lastBelow = <T>(sorted: T[], below: (item: T) => boolean): number => {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (below(sorted[mid]!)) low = mid + 1;
      else high = mid;
    }
    return low - 1;
  };
  const reads = ops.filter((op) => op.type === 'read' && op.outcome === 'ok');
  for (let i = reads.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [reads[i], reads[j]] = [reads[j]!, reads[i]!];
  }
  for (const read of reads) {
    const entry = byKey.get(read.key);
    if (entry === undefined || read.type !== 'read' || read.outcome !== 'ok') continue;
    const done = lastBelow(entry.completions, (at) => at < read.invokedAt);
    if (done < 0) continue;
    const overwritten = entry.highest[done]!;
    const stale = entry.written[lastBelow(entry.written, (w) => w.version < overwritten)];
    if (stale === undefined) continue;
    read.output = read.output.version === undefined ? { value: stale.value } : { ...stale };
    return read;
  }
  return undefined;
}
