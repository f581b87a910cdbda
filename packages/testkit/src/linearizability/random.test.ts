import { describe, expect, it } from 'vitest';
import { checkHistory } from './check.js';
import type { Operation } from './history.js';
import {
  corruptReadWithStaleValue,
  corruptReadWithUnwrittenValue,
  randomSource,
  simulateHistory,
} from './simulate.js';

/**
 * The register's specification written out plainly, apart from the checker's compiled model: the
 * version is exact when `known`, else any integer above `version`.
 */
interface ReferenceState {
  value: string | null;
  version: number;
  known: boolean;
}

function referenceStep(s: ReferenceState, op: Operation): ReferenceState | undefined {
  const exists = s.value !== null;
  const versionCanBe = (v: number) => (s.known ? s.version === v : v > s.version);
  if (op.type === 'read') {
    if (op.outcome !== 'ok') return s;
    if (op.output.value !== s.value) return undefined;
    const v = op.output.version;
    if (v === undefined) return s;
    return versionCanBe(v) ? { value: s.value, version: v, known: true } : undefined;
  }
  const expected = op.type === 'write' ? undefined : op.input.expectedVersion;
  const mustNotExist = op.type === 'cas' && op.input.mustNotExist === true;
  const mustExist = op.type === 'delete';
  if (op.outcome === 'fail') {
    if (op.type === 'write' || op.output?.preconditionFailed === false) return s;
    if (expected === undefined && !mustNotExist && !mustExist) return s;
    const canFail =
      (mustNotExist && exists) ||
      (mustExist && !exists) ||
      (expected !== undefined && (!exists || !s.known || s.version !== expected));
    return canFail ? s : undefined;
  }
  if ((mustNotExist && exists) || (mustExist && !exists)) return undefined;
  let least = s.known ? s.version : s.version + 1;
  if (expected !== undefined) {
    if (!exists || !versionCanBe(expected)) return undefined;
    least = expected;
  }
  const value = op.type === 'delete' ? null : op.input.value;
  const version = op.outcome === 'ok' ? op.output.version : undefined;
  if (version === undefined) return { value, version: least, known: false };
  return version > least ? { value, version, known: true } : undefined;
}

/** Tries every order (respecting real time) of every subset of the indeterminate operations. */
function bruteForceLinearizable(ops: Operation[]): boolean {
  const byKey = new Map<string, Operation[]>();
  for (const op of ops) byKey.set(op.key, [...(byKey.get(op.key) ?? []), op]);
  return [...byKey.values()].every((keyOps) => {
    const mandatory = keyOps.reduce((mask, op, i) => (op.outcome === 'info' ? mask : mask | (1 << i)), 0);
    const before = keyOps.map((op) =>
      keyOps.reduce(
        (mask, other, j) =>
          other.outcome !== 'info' && other.completedAt! < op.invokedAt ? mask | (1 << j) : mask,
        0,
      ),
    );
    const seen = new Set<string>();
    const search = (used: number, state: ReferenceState): boolean => {
      if ((used & mandatory) === mandatory) return true;
      const key = `${used}:${JSON.stringify(state)}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return keyOps.some((op, i) => {
        if (used & (1 << i) || (before[i]! & used) !== before[i]) return false;
        const next = referenceStep(state, op);
        return next !== undefined && search(used | (1 << i), next);
      });
    };
    return search(0, { value: null, version: 0, known: true });
  });
}

/** Bends one operation of a history: another value or version, outcome, or time. */
function perturb(ops: Operation[], random: () => number): void {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const op = pick(ops) as Operation & Record<string, unknown>;
  const values = [
    null,
    'unseen',
    ...ops.flatMap((o) => (o.type === 'write' || o.type === 'cas' ? [o.input.value] : [])),
  ];
  const bump = (v: number) => Math.max(0, v + pick([-2, -1, 1, 2]));
  switch (pick(['output', 'outcome', 'info', 'time'] as const)) {
    case 'output':
      if (op.outcome !== 'ok') return;
      if (op.type === 'read') {
        op.output =
          random() < 0.5
            ? { ...op.output, value: pick(values) }
            : { ...op.output, version: bump(op.output.version ?? 1) };
      } else if (op.type === 'write' || op.type === 'cas') {
        if (random() < 0.5) op.input = { ...op.input, value: pick(values) ?? 'v' };
        else op.output = { version: bump(op.output.version) };
      } else {
        op.output = { version: bump(op.output.version ?? 1) };
      }
      return;
    case 'outcome':
      if (op.type !== 'cas' && op.type !== 'delete') return;
      if (op.outcome === 'ok') Object.assign(op, { outcome: 'fail', output: undefined });
      else if (op.outcome === 'fail')
        Object.assign(op, { outcome: 'ok', output: { version: 1 + Math.floor(random() * 8) } });
      return;
    case 'info':
      Object.assign(op, { outcome: 'info', output: undefined });
      return;
    case 'time': {
      const shift = (random() - 0.5) * 20;
      if (random() < 0.5)
        op.invokedAt = Math.min(op.invokedAt + shift, op.completedAt ?? Number.POSITIVE_INFINITY);
      else if (op.completedAt !== undefined) op.completedAt = Math.max(op.completedAt + shift, op.invokedAt);
      return;
    }
  }
}

describe('checkHistory on generated histories', () => {
  it('agrees with a brute-force search on thousands of small, bent histories', () => {
    const verdicts = { linearizable: 0, 'not-linearizable': 0 };
    for (let seed = 1; seed <= 5000; seed++) {
      const random = randomSource(seed);
      const ops = simulateHistory({
        seed,
        clients: 3,
        keys: seed % 4 === 0 ? 2 : 1,
        operations: 5 + (seed % 4),
        infoRate: 0.25,
        failRate: 0.1,
        readVersions: seed % 3 !== 0,
      });
      const bends = 1 + Math.floor(random() * 3);
      for (let i = 0; i < bends; i++) perturb(ops, random);
      const expected = bruteForceLinearizable(ops) ? 'linearizable' : 'not-linearizable';
      const result = checkHistory(ops);
      if (result.verdict !== expected) {
        throw new Error(
          `seed ${seed}: checker says ${result.verdict}, brute force ${expected}\n${JSON.stringify(ops, null, 1)}`,
        );
      }
      verdicts[expected]++;
    }
    // Both kinds are well represented.
    expect(verdicts.linearizable).toBeGreaterThan(1000);
    expect(verdicts['not-linearizable']).toBeGreaterThan(1000);
  });

  it('accepts every history of a real register run by concurrent clients', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const ops = simulateHistory({
        seed,
        clients: 8,
        keys: 3,
        operations: 600,
        infoRate: seed % 3 === 0 ? 0.05 : 0,
        readVersions: seed % 2 === 0,
      });
      expect(checkHistory(ops).verdict, `seed ${seed}`).toBe('linearizable');
    }
  });

  it('rejects them once one read returns a value never written, for that key only', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const ops = simulateHistory({
        seed,
        clients: 8,
        keys: 3,
        operations: 600,
        infoRate: seed % 2 ? 0.05 : 0,
      });
      const victim = corruptReadWithUnwrittenValue(ops, randomSource(seed))!;
      const result = checkHistory(ops);
      expect(result.verdict, `seed ${seed}`).toBe('not-linearizable');
      expect(result.failures.map((failure) => failure.key)).toEqual([victim.key]);
      expect(result.failures[0]!.operations.map((op) => op.id)).toContain(victim.id);
    }
  });

  it('rejects them once one read returns a value overwritten before it began', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const ops = simulateHistory({
        seed,
        clients: 8,
        keys: 3,
        operations: 600,
        infoRate: seed % 2 ? 0.05 : 0,
        readVersions: seed % 4 < 2,
      });
      const victim = corruptReadWithStaleValue(ops, randomSource(seed))!;
      const result = checkHistory(ops);
      expect(result.verdict, `seed ${seed}`).toBe('not-linearizable');
      expect(result.failures.map((failure) => failure.key)).toEqual([victim.key]);
    }
  });

  it('checks 20k operations of 32 clients on 10 keys in a few seconds', () => {
    const ops = simulateHistory({ seed: 42, clients: 32, keys: 10, operations: 20_000, infoRate: 0.02 });
    const result = checkHistory(ops, { timeBudgetMs: 30_000 });
    expect(result).toMatchObject({ verdict: 'linearizable', keys: 10, operations: 20_000 });
    expect(result.elapsedMs).toBeLessThan(10_000);

    const victim = corruptReadWithStaleValue(ops, randomSource(42))!;
    const corrupted = checkHistory(ops, { timeBudgetMs: 30_000 });
    expect(corrupted.verdict).toBe('not-linearizable');
    expect(corrupted.failures.map((failure) => failure.key)).toEqual([victim.key]);
    expect(corrupted.elapsedMs).toBeLessThan(10_000);
  }, 60_000);
});
