/**
 * The sequential specification of one key: a register holding a value (or nothing) and a version.
 *
 * Every successful write, cas and delete gives the key a new version, greater than its previous one
 * (the shard's sequence number: increasing, not dense per key). The version of an indeterminate
 * write, or of a delete that did not report one, is not known: the state then keeps a strict lower
 * bound, which the next read, cas or write that reports a version pins down again. Versions are
 * integers: after an unknown version above `L`, a write must return at least `L + 2`.
 */
import type { Operation } from './history.js';
import type { SearchModel } from './search.js';

export interface RegisterModelOptions {
  /**
   * What a delete of an absent key does: `fails` (the default: it reports `fail`, which the checker
   * verifies) or `succeeds` (it reports `ok`, writing a tombstone over nothing).
   */
  deleteOfAbsentKey?: 'fails' | 'succeeds';
}

/** The interned value standing for every value no read returned: they are indistinguishable. */
export const unreadValue = -2;

/** A register's state; values are interned (`-1` = absent, `-2` a value no read returned). */
export interface RegisterState {
  readonly value: number;
  /** The version when `known`; otherwise a strict lower bound of it. */
  readonly version: number;
  readonly known: boolean;
}

/**
 * `read`: saw a value. `mutate`: a write, cas or delete that took effect (its precondition held,
 * then it wrote). `refused`: a cas or delete whose precondition did not hold (no effect).
 */
export type RegisterStepKind = 'read' | 'mutate' | 'refused';

/** An operation compiled for the search: only what constrains or changes the register. */
export interface RegisterStep {
  readonly kind: RegisterStepKind;
  /** Read: the value seen. Mutate: the value written (`-1` for a delete). */
  value: number;
  /** Read/Mutate: the version reported, `-1` when unknown. */
  readonly version: number;
  readonly expectedVersion: number;
  readonly mustNotExist: boolean;
  /** The key must exist (a delete when deletes of absent keys fail). */
  readonly mustExist: boolean;
  /**
   * The largest version below `version` (resp. `expectedVersion`) that a completed write, cas or
   * delete of the key returned, `-1` if none. Versions only increase, so that operation must have
   * taken effect before the register can be at `version`.
   */
  versionFloor: number;
  expectedFloor: number;
  readonly source: Operation;
}

const initialState: RegisterState = { value: -1, version: 0, known: true };

/** Interns values so states compare and hash as numbers. */
export class ValueTable {
  readonly #ids = new Map<string, number>();
  readonly #values: string[] = [];

  id(value: string | null): number {
    if (value === null) return -1;
    let id = this.#ids.get(value);
    if (id === undefined) {
      id = this.#values.length;
      this.#ids.set(value, id);
      this.#values.push(value);
    }
    return id;
  }

  value(id: number): string | null {
    return id < 0 ? null : this.#values[id]!;
  }

  describe(id: number): string {
    return id === unreadValue ? 'a value no read returned' : describeValue(this.value(id));
  }
}

/**
 * Compiles one operation, or returns `undefined` when it neither changes nor constrains the
 * register: an indeterminate read, a failed read or write, a cas/delete that failed for another
 * reason than its precondition or that had no precondition.
 */
function compileRegisterStep(
  op: Operation,
  values: ValueTable,
  options: RegisterModelOptions = {},
): RegisterStep | undefined {
  const absentDeleteFails = (options.deleteOfAbsentKey ?? 'fails') === 'fails';
  const base = {
    value: -1,
    version: -1,
    expectedVersion: -1,
    mustNotExist: false,
    mustExist: false,
    versionFloor: -1,
    expectedFloor: -1,
    source: op,
  };
  switch (op.type) {
    case 'read':
      if (op.outcome !== 'ok') return undefined;
      return { ...base, kind: 'read', value: values.id(op.output.value), version: op.output.version ?? -1 };
    case 'write':
      if (op.outcome === 'fail') return undefined;
      return {
        ...base,
        kind: 'mutate',
        value: values.id(op.input.value),
        version: op.outcome === 'ok' ? (op.output.version ?? -1) : -1,
      };
    case 'cas': {
      const expectedVersion = op.input.expectedVersion ?? -1;
      const mustNotExist = op.input.mustNotExist === true;
      if (op.outcome === 'fail') {
        if (op.output?.preconditionFailed === false || (expectedVersion < 0 && !mustNotExist))
          return undefined;
        return { ...base, kind: 'refused', expectedVersion, mustNotExist };
      }
      return {
        ...base,
        kind: 'mutate',
        value: values.id(op.input.value),
        version: op.outcome === 'ok' ? (op.output.version ?? -1) : -1,
        expectedVersion,
        mustNotExist,
      };
    }
    case 'delete': {
      const expectedVersion = op.input.expectedVersion ?? -1;
      if (op.outcome === 'fail') {
        if (op.output?.preconditionFailed === false || (expectedVersion < 0 && !absentDeleteFails))
          return undefined;
        return { ...base, kind: 'refused', expectedVersion, mustExist: absentDeleteFails };
      }
      return {
        ...base,
        kind: 'mutate',
        version: op.outcome === 'ok' ? (op.output.version ?? -1) : -1,
        expectedVersion,
        mustExist: absentDeleteFails,
      };
    }
  }
}

/** The operations of one key that change or constrain the register, compiled for the search. */
export function compileRegisterHistory(
  ops: readonly Operation[],
  options: RegisterModelOptions = {},
): { steps: RegisterStep[]; values: ValueTable } {
  const values = new ValueTable();
  const steps: RegisterStep[] = [];
  for (const op of ops) {
    const step = compileRegisterStep(op, values, options);
    if (step !== undefined) steps.push(step);
  }
  // Values only matter to the reads that return them (and for existence): the others are merged.
  const read = new Set(steps.filter((step) => step.kind === 'read').map((step) => step.value));
  for (const step of steps) {
    if (step.kind === 'mutate' && step.value >= 0 && !read.has(step.value)) step.value = unreadValue;
  }
  const known = steps
    .filter((step) => step.kind === 'mutate' && step.version >= 0)
    .map((step) => step.version)
    .sort((a, b) => a - b);
  const floor = (version: number): number => {
    // The largest known version below `version`.
    let low = 0;
    let high = known.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (known[mid]! < version) low = mid + 1;
      else high = mid;
    }
    return low === 0 ? -1 : known[low - 1]!;
  };
  for (const step of steps) {
    if (step.version >= 0) step.versionFloor = floor(step.version);
    if (step.expectedVersion >= 0) step.expectedFloor = floor(step.expectedVersion);
  }
  return { steps, values };
}

/**
 * Optional steps with the same key have the same effect on every state (e.g. indeterminate writes
 * of values no read returned), so the search may treat them as interchangeable.
 */
export function registerStepGroup(step: RegisterStep): string {
  return [step.kind, step.value, step.version, step.expectedVersion, step.mustNotExist, step.mustExist].join(
    ':',
  );
}

/** Whether the precondition of `step` may hold in `state` (with an unknown version: may). */
function preconditionMayHold(state: RegisterState, step: RegisterStep): boolean {
  if (step.mustNotExist && state.value !== -1) return false;
  if (step.mustExist && state.value === -1) return false;
  if (step.expectedVersion >= 0) {
    if (state.value === -1) return false;
    if (state.known) return state.version === step.expectedVersion;
    return step.expectedVersion > state.version && step.expectedFloor <= state.version;
  }
  return true;
}

/** Whether the precondition of `step` may fail in `state`. */
function preconditionMayFail(state: RegisterState, step: RegisterStep): boolean {
  if (step.mustNotExist && state.value !== -1) return true;
  if (step.mustExist && state.value === -1) return true;
  if (step.expectedVersion >= 0) {
    return state.value === -1 || !state.known || state.version !== step.expectedVersion;
  }
  return false;
}

/**
 * The version a mutation overwrites: `bound` is it when known (or pinned by a cas on a version),
 * else its strict lower bound; `least` is the smallest it can be (versions are integers).
 */
function versionBefore(state: RegisterState, step: RegisterStep): { bound: number; least: number } {
  if (step.expectedVersion >= 0) return { bound: step.expectedVersion, least: step.expectedVersion };
  return { bound: state.version, least: state.known ? state.version : state.version + 1 };
}

export function stepRegister(state: RegisterState, step: RegisterStep): RegisterState | undefined {
  switch (step.kind) {
    case 'read':
      if (state.value !== step.value) return undefined;
      if (step.version < 0) return state;
      if (state.known) return state.version === step.version ? state : undefined;
      return step.version > state.version
        ? { value: state.value, version: step.version, known: true }
        : undefined;
    case 'refused':
      return preconditionMayFail(state, step) ? state : undefined;
    case 'mutate': {
      if (!preconditionMayHold(state, step)) return undefined;
      const { bound, least } = versionBefore(state, step);
      if (step.version < 0) return { value: step.value, version: least, known: false };
      if (step.version <= least || step.versionFloor > bound) return undefined;
      return { value: step.value, version: step.version, known: true };
    }
  }
}

export const registerModel: SearchModel<RegisterState, RegisterStep> = {
  init: initialState,
  step: stepRegister,
  equal: (a, b) => a.value === b.value && a.version === b.version && a.known === b.known,
  // Versions are integers: the rank of a state with an unknown version is above its lower bound's.
  rank: (s) => 2 * s.version + (s.known ? 0 : 1),
  limit: (step) => {
    if (step.kind === 'read') return step.version >= 0 ? 2 * step.version : Number.POSITIVE_INFINITY;
    if (step.kind === 'refused') return Number.POSITIVE_INFINITY;
    if (step.expectedVersion >= 0) return 2 * step.expectedVersion;
    return step.version >= 0 ? 2 * step.version - 1 : Number.POSITIVE_INFINITY;
  },
  hash: (s) =>
    (Math.imul(s.value + 2, 0x9e3779b1) ^ Math.imul(s.version, 0x85ebca77) ^ (s.known ? 0x5bd1e995 : 0)) >>>
    0,
};

const maxShownValue = 40;

export function describeValue(value: string | null): string {
  if (value === null) return 'absent';
  const shown = value.length > maxShownValue ? `${value.slice(0, maxShownValue)}…` : value;
  return JSON.stringify(shown);
}

export function describeRegisterState(state: RegisterState, values: ValueTable): string {
  const version = state.known ? `v${state.version}` : `v>${state.version}`;
  return `${values.describe(state.value)} @${version}`;
}

function describePrecondition(step: RegisterStep): string {
  const parts: string[] = [];
  if (step.mustNotExist) parts.push('the key is absent');
  if (step.mustExist) parts.push('the key exists');
  if (step.expectedVersion >= 0) parts.push(`the key exists at version ${step.expectedVersion}`);
  return parts.join(' and ');
}

/** What version an operation needs the register to be at (or below), for explanations. */
export function describeVersionNeed(step: RegisterStep): string {
  if (step.kind === 'read') return `it read version ${step.version}`;
  if (step.expectedVersion >= 0) return `it needs version ${step.expectedVersion}`;
  return `it returned version ${step.version}`;
}

function skipped(version: number, floor: number): string {
  return `it saw version ${version}, but the operation that returned version ${floor} had not taken effect yet (versions only increase)`;
}

/**
 * Why `step` cannot take effect in `state`, in words; `undefined` when it can (it then only led
 * to dead ends later on).
 */
export function explainRegisterStep(
  state: RegisterState,
  step: RegisterStep,
  values: ValueTable,
  /** How to name `state` (by default from its interned value). */
  held = describeRegisterState(state, values),
): string | undefined {
  if (stepRegister(state, step) !== undefined) return undefined;
  switch (step.kind) {
    case 'read': {
      const seen = values.describe(step.value);
      if (state.value !== step.value) return `it read ${seen}, but the register held ${held}`;
      if (!state.known && step.version > state.version) return skipped(step.version, step.versionFloor);
      return `it read ${seen} at version ${step.version}, but the register was at ${held}`;
    }
    case 'refused':
      return `it failed, but its precondition (${describePrecondition(step)}) held: the register was ${held}`;
    case 'mutate': {
      const what = step.source.type;
      const pinned = !state.known && state.value !== -1 && step.expectedVersion > state.version;
      if (pinned && step.expectedFloor > state.version)
        return skipped(step.expectedVersion, step.expectedFloor);
      if (!preconditionMayHold(state, step)) {
        return `the ${what} succeeded, but its precondition (${describePrecondition(step)}) did not hold: the register was ${held}`;
      }
      const { least } = versionBefore(state, step);
      if (step.version > least) return skipped(step.version, step.versionFloor);
      const above =
        state.known || step.expectedVersion >= 0 ? `the register's version ${least}` : `version ${least - 1}`;
      return `the ${what} returned version ${step.version}, not above ${above} (the register was ${held})`;
    }
  }
}
