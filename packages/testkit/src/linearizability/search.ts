/**
 * Wing & Gong / Lowe's just-in-time linearizability search with memoization, as Porcupine's
 * `checkSingle`, for one partition of a history (one key), generic over a sequential model.
 *
 * Call and return events sorted by time (calls first at equal times) form a doubly linked list.
 * The search walks it from the front: a call may be linearized next if the model accepts it and the
 * (linearized set, state) pair was not seen before; it is then lifted out with its return and the
 * walk restarts. Reaching a return means that operation should have been linearized already:
 * backtrack (unlift the last linearized call, restore the state, try the next candidate). The
 * search succeeds when the list is empty.
 *
 * Optional operations (indeterminate ones: their return is at +infinity) may be linearized or
 * left out. Their calls are in a list of their own, tried only when no mandatory candidate is
 * left at a point (those invoked before the first pending return). Optional operations of one
 * group are interchangeable: only the earliest unused one of each group is a candidate, and the
 * memoization counts them per group. A point is dominated by a seen one with the same linearized
 * mandatory operations and state and no more optional operations used in any group: that one
 * had every option this one has.
 *
 * Two more prunings keep histories with many concurrent clients tractable. A candidate that leaves
 * the state as it is (a read that fits) is linearized first without branching: it could go first
 * in any linearization from that point. And with a model's `rank`/`limit`, a branch is dropped as
 * soon as some operation that must still be linearized can no longer take effect.
 */

export interface SearchModel<State, Op> {
  readonly init: State;
  /** The state after `op`, or `undefined` when `op` cannot take effect in `state`. */
  step(state: State, op: Op): State | undefined;
  equal(a: State, b: State): boolean;
  /** 32-bit hash consistent with `equal`. */
  hash(state: State): number;
  /**
   * Optional pruning: a measure of states that no step decreases (a version), and for each
   * operation the largest rank at which it can still take effect (`Infinity`: any). A branch where
   * the rank passed the limit of an operation that must still be linearized is dropped at once.
   */
  rank?(state: State): number;
  limit?(op: Op): number;
}

export interface SearchOperation<Op> {
  op: Op;
  call: number;
  /** `Infinity` for an optional (indeterminate) operation. */
  ret: number;
  /**
   * Optional operations of one group have the same effect on every state, so which of them were
   * linearized does not matter, only how many: the memoization counts them (default: no group).
   */
  group?: number | string;
}

export type SearchResult<State> =
  | { kind: 'linearizable'; order: number[]; steps: number }
  | { kind: 'timeout'; steps: number }
  | {
      kind: 'violation';
      /** Index of the operation the search could not get past, in the furthest point it reached. */
      stuck: number;
      /** The linearized operations (indices, in order) when the search was stuck there. */
      prefix: number[];
      /** The model state after `prefix`. */
      state: State;
      /** Operations invoked but not linearized at that point: the candidates that did not fit. */
      pending: number[];
      steps: number;
    };

export interface SearchOptions {
  /** `performance.now()`-style time after which the search gives up with `timeout`. */
  deadline?: number;
  now?: () => number;
}

interface CacheEntry<State> {
  /** The first mandatory operation (in return order) not linearized. */
  first: number;
  /** The linearized mandatory operations after it (return-order slots, ascending). */
  beyond: Int32Array;
  /** Pairs (group, count) of optional operations used, for the groups used. */
  optional: Int32Array;
  state: State;
}

/** Deterministic 32-bit mixing so every run explores the same way. */
function mix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function searchLinearization<State, Op>(
  model: SearchModel<State, Op>,
  operations: readonly SearchOperation<Op>[],
  options: SearchOptions = {},
): SearchResult<State> {
  const now = options.now ?? (() => performance.now());
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  const n = operations.length;
  const isOptional = new Uint8Array(n);
  operations.forEach((o, i) => {
    isOptional[i] = o.ret === Number.POSITIVE_INFINITY ? 1 : 0;
  });

  // Entries: a call per operation and a return per mandatory one, numbered in time order (calls
  // first at equal times); then the sentinels of the mandatory list and of the optional one.
  const events: { time: number; isCall: boolean; op: number }[] = [];
  for (let i = 0; i < n; i++) {
    const o = operations[i]!;
    events.push({ time: o.call, isCall: true, op: i });
    if (!isOptional[i]) events.push({ time: o.ret, isCall: false, op: i });
  }
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op - b.op : a.isCall ? -1 : 1));
  const entries = events.length;
  const head = entries;
  const tail = entries + 1;
  const optHead = entries + 2;
  const optTail = entries + 3;
  const next = new Int32Array(entries + 4);
  const prev = new Int32Array(entries + 4);
  const opOf = new Int32Array(entries);
  const isCall = new Uint8Array(entries);
  const match = new Int32Array(entries).fill(-1);
  const callEntry = new Int32Array(n);
  const link = (e: number, before: number): void => {
    prev[e] = prev[before]!;
    next[e] = before;
    next[prev[before]!] = e;
    prev[before] = e;
  };
  const unlink = (e: number): void => {
    next[prev[e]!] = next[e]!;
    prev[next[e]!] = prev[e]!;
  };
  const relink = (e: number): void => {
    next[prev[e]!] = e;
    prev[next[e]!] = e;
  };
  next[head] = tail;
  prev[tail] = head;
  next[optHead] = optTail;
  prev[optTail] = optHead;

  // Memo slots: mandatory operations by return order; optional ones by group.
  const slotOf = new Int32Array(n);
  const zobrist = new Int32Array(n);
  let mandatoryCount = 0;
  const groups = new Map<number | string, number>();
  const members: number[][] = [];
  const memberIndex = new Int32Array(n);
  events.forEach((event, e) => {
    opOf[e] = event.op;
    isCall[e] = event.isCall ? 1 : 0;
    if (event.isCall) {
      callEntry[event.op] = e;
      if (isOptional[event.op]) {
        const key = operations[event.op]!.group ?? `op:${event.op}`;
        let group = groups.get(key);
        if (group === undefined) {
          group = members.length;
          groups.set(key, group);
          members.push([]);
          link(e, optTail); // Only the earliest member of a group starts as a candidate.
        }
        slotOf[event.op] = group;
        memberIndex[event.op] = members[group]!.length;
        members[group]!.push(event.op);
      } else {
        link(e, tail);
      }
    } else {
      match[callEntry[event.op]!] = e;
      match[e] = callEntry[event.op]!;
      link(e, tail);
      slotOf[event.op] = mandatoryCount;
      zobrist[event.op] = mix32(mandatoryCount * 0x9e3779b1 + 0x7f4a7c15);
      mandatoryCount++;
    }
  });
  const lift = (e: number): void => {
    unlink(e);
    unlink(match[e]!);
  };
  const unlift = (e: number): void => {
    relink(match[e]!);
    relink(e);
  };
  /** Makes the member after `op` in its group a candidate; returns its entry, or -1. */
  const promoteNext = (op: number): number => {
    const group = members[slotOf[op]!]!;
    const following = group[memberIndex[op]! + 1];
    if (following === undefined) return -1;
    const e = callEntry[following]!;
    // `op`'s entry was just unlinked: its old predecessor is in the list and comes before `e`.
    let before = next[prev[callEntry[op]!]!]!;
    while (before !== optTail && before < e) before = next[before]!;
    link(e, before);
    return e;
  };

  // Mandatory operations with a limit, by limit; `firstOpen` indexes the first not linearized.
  const rank = model.rank?.bind(model);
  const limited: { op: number; limit: number }[] = [];
  if (model.limit !== undefined) {
    for (let op = 0; op < n; op++) {
      if (isOptional[op]) continue;
      const limit = model.limit(operations[op]!.op);
      if (limit !== Number.POSITIVE_INFINITY) limited.push({ op, limit });
    }
    limited.sort((a, b) => a.limit - b.limit);
  }
  const limitPos = new Int32Array(n).fill(-1);
  limited.forEach((o, i) => {
    limitPos[o.op] = i;
  });
  const limitDone = new Uint8Array(limited.length);
  let firstOpen = 0;
  const markLimited = (op: number, done: boolean): void => {
    const pos = limitPos[op]!;
    if (pos < 0) return;
    limitDone[pos] = done ? 1 : 0;
    if (!done && pos < firstOpen) firstOpen = pos;
  };
  const minOpenLimit = (): number => {
    while (firstOpen < limited.length && limitDone[firstOpen]) firstOpen++;
    return firstOpen < limited.length ? limited[firstOpen]!.limit : Number.POSITIVE_INFINITY;
  };

  // The current point: linearized mandatory operations (a bit per return-order slot, their count
  // and the first clear slot), optional ones used per group, and a hash of the mandatory set.
  const linearized = new Uint32Array(Math.ceil(mandatoryCount / 32) + 1);
  let linearizedCount = 0;
  let firstClear = 0;
  const usedPerGroup = new Int32Array(members.length);
  const usedGroups: number[] = [];
  let setHash = 0;
  const markUsed = (op: number, on: boolean): void => {
    const slot = slotOf[op]!;
    if (isOptional[op]) {
      usedPerGroup[slot]! += on ? 1 : -1;
      if (on && usedPerGroup[slot] === 1) usedGroups.push(slot);
      if (!on && usedPerGroup[slot] === 0) usedGroups.splice(usedGroups.lastIndexOf(slot), 1);
      return;
    }
    linearized[slot >>> 5]! ^= 1 << (slot & 31);
    linearizedCount += on ? 1 : -1;
    if (!on && slot < firstClear) firstClear = slot;
    setHash ^= zobrist[op]!;
  };
  /** The linearized mandatory slots after the first clear one. */
  const beyondFirstClear = (): Int32Array => {
    while (firstClear < mandatoryCount && (linearized[firstClear >>> 5]! >>> (firstClear & 31)) & 1)
      firstClear++;
    const beyond = new Int32Array(linearizedCount - firstClear);
    let found = 0;
    for (let slot = firstClear + 1; found < beyond.length; slot++) {
      if ((linearized[slot >>> 5]! >>> (slot & 31)) & 1) beyond[found++] = slot;
    }
    return beyond;
  };
  const cache = new Map<number, CacheEntry<State>[]>();
  /** Whether the current point with `state`, or one dominating it, was seen; if not, remembers it. */
  const seenOrRemember = (state: State): boolean => {
    const key = (setHash ^ model.hash(state)) >>> 0;
    const beyond = beyondFirstClear();
    let bucket = cache.get(key);
    if (bucket === undefined) {
      bucket = [];
      cache.set(key, bucket);
    }
    outer: for (const entry of bucket) {
      if (entry.first !== firstClear || entry.beyond.length !== beyond.length) continue;
      for (let i = 0; i < beyond.length; i++) if (entry.beyond[i] !== beyond[i]) continue outer;
      const optional = entry.optional;
      for (let i = 0; i < optional.length; i += 2)
        if (usedPerGroup[optional[i]!]! < optional[i + 1]!) continue outer;
      if (model.equal(entry.state, state)) return true;
    }
    const optional = new Int32Array(usedGroups.length * 2);
    usedGroups.forEach((group, i) => {
      optional[2 * i] = group;
      optional[2 * i + 1] = usedPerGroup[group]!;
    });
    bucket.push({ first: firstClear, beyond, optional, state });
    return false;
  };

  // The backtracking stack: per linearized operation its call entry, the phase it was found in,
  // the state before it; for optional ones the return that bounded the candidates and the
  // member of its group it made a candidate.
  const stackEntry = new Int32Array(n);
  const stackPhase = new Uint8Array(n);
  const stackBound = new Int32Array(n);
  const stackPromoted = new Int32Array(n);
  const stackState: State[] = [];
  let depth = 0;

  let best:
    | { rank: number; depth: number; stuck: number; prefix: number[]; state: State; pending: number[] }
    | undefined;
  const noteStuck = (ret: number, state: State): void => {
    if (best !== undefined && (ret < best.rank || (ret === best.rank && depth <= best.depth))) return;
    const pending: number[] = [];
    for (let e = next[head]!; e !== ret; e = next[e]!) if (isCall[e]) pending.push(opOf[e]!);
    for (let e = next[optHead]!; e !== optTail && e < ret; e = next[e]!) pending.push(opOf[e]!);
    const prefix: number[] = [];
    for (let i = 0; i < depth; i++) prefix.push(opOf[stackEntry[i]!]!);
    best = { rank: ret, depth, stuck: opOf[ret]!, prefix, state, pending };
  };

  let state = model.init;
  let entry = next[head]!;
  // Which candidates a scan tries: 0 the mandatory ones that leave the state as it is, 1 the other
  // mandatory ones, 2 the optional ones (invoked before `bound`, the first pending return).
  let phase = 0;
  let bound = -1;
  let steps = 0;
  for (;;) {
    if ((++steps & 0x3ff) === 0 && now() > deadline) return { kind: 'timeout', steps };
    let candidate = -1;
    if (phase < 2) {
      if (entry === tail) {
        const order: number[] = [];
        for (let i = 0; i < depth; i++) order.push(opOf[stackEntry[i]!]!);
        return { kind: 'linearizable', order, steps };
      }
      if (isCall[entry]) {
        candidate = entry;
      } else if (phase === 0) {
        phase = 1;
        entry = next[head]!;
        continue;
      } else if (next[optHead]! < entry) {
        phase = 2;
        bound = entry;
        entry = next[optHead]!;
        continue;
      } else {
        noteStuck(entry, state);
      }
    } else if (entry < bound) {
      candidate = entry;
    } else {
      noteStuck(bound, state);
    }

    if (candidate >= 0) {
      const op = opOf[candidate]!;
      let after = model.step(state, operations[op]!.op);
      if (after !== undefined && rank !== undefined && after !== state) {
        markLimited(op, true);
        if (rank(after) > minOpenLimit()) {
          markLimited(op, false);
          after = undefined;
        }
      }
      // Phase 1 sees no state-preserving candidate: phase 0 took it, or backtracked.
      if (after === undefined || (phase === 0 && after !== state && !model.equal(after, state))) {
        entry = next[candidate]!;
        continue;
      }
      markUsed(op, true);
      markLimited(op, true);
      if (!seenOrRemember(after)) {
        stackEntry[depth] = candidate;
        stackPhase[depth] = phase;
        stackBound[depth] = bound;
        stackState[depth] = state;
        if (phase === 2) {
          unlink(candidate);
          stackPromoted[depth] = promoteNext(op);
        } else {
          lift(candidate);
        }
        depth++;
        state = after;
        entry = next[head]!;
        phase = 0;
        continue;
      }
      markUsed(op, false);
      markLimited(op, false);
      if (phase !== 0) {
        entry = next[candidate]!;
        continue;
      }
      // A state-preserving candidate can go first in any linearization from here: as it was
      // seen to fail, so does this point.
    }

    // Backtrack. A point left through a state-preserving operation fails with it.
    do {
      if (depth === 0) {
        const b = best ?? { stuck: opOf[entry]!, prefix: [], state, pending: [] };
        return {
          kind: 'violation',
          stuck: b.stuck,
          prefix: b.prefix,
          state: b.state,
          pending: b.pending,
          steps,
        };
      }
      depth--;
      const e = stackEntry[depth]!;
      const op = opOf[e]!;
      phase = stackPhase[depth]!;
      bound = stackBound[depth]!;
      state = stackState[depth]!;
      markUsed(op, false);
      markLimited(op, false);
      if (phase === 2) {
        const promoted = stackPromoted[depth]!;
        if (promoted >= 0) unlink(promoted);
        relink(e);
      } else {
        unlift(e);
      }
      entry = next[e]!;
    } while (phase === 0);
  }
}
