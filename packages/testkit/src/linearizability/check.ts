import { count, describeOperation } from './format.js';
import { HistoryFormatError, type Operation, validateOperation } from './history.js';
import { findImpossibleReads, type ImpossibleRead } from './precheck.js';
import {
  compileRegisterHistory,
  describeRegisterState,
  describeValue,
  describeVersionNeed,
  explainRegisterStep,
  type RegisterModelOptions,
  type RegisterState,
  type RegisterStep,
  registerModel,
  registerStepGroup,
  unreadValue,
  type ValueTable,
} from './register-model.js';
import { type SearchOperation, type SearchResult, searchLinearization } from './search.js';

export interface CheckOptions extends RegisterModelOptions {
  /**
   * Time for the whole check, in ms (default 60 000). Each key first gets a fair share of what is
   * left, then the keys that ran out share the rest; a key still undecided makes the verdict `unknown`.
   */
  timeBudgetMs?: number;
  /** At most this many operations in a failure's `operations` window (default 40). */
  maxWindow?: number;
}

export type Verdict = 'linearizable' | 'not-linearizable' | 'unknown';

export interface KeyFailure {
  key: string;
  /** What the search found, in words (several lines). */
  explanation: string;
  /** The operations involved, by invocation: the one the search got stuck on, those concurrent with it, the last ones before. */
  operations: Operation[];
}

export interface CheckResult {
  verdict: Verdict;
  /** Keys in the history. */
  keys: number;
  /** Operations in the history. */
  operations: number;
  failures: KeyFailure[];
  /** Keys the time budget ran out on. */
  unknownKeys: string[];
  elapsedMs: number;
}

const defaultTimeBudgetMs = 60_000;
const defaultMaxWindow = 40;
/** Candidates described one by one in an explanation. */
const explainedCandidates = 12;
/** Operations linearized last before the stuck point, shown for context. */
const contextOperations = 6;

interface KeyHistory {
  key: string;
  ops: Operation[];
  values: ValueTable;
  steps: SearchOperation<RegisterStep>[];
}

function prepareKey(key: string, ops: Operation[], options: RegisterModelOptions): KeyHistory {
  const { steps, values } = compileRegisterHistory(ops, options);
  return {
    key,
    ops,
    values,
    steps: steps.map((step) => ({
      op: step,
      call: step.source.invokedAt,
      ...(step.source.outcome === 'info'
        ? { ret: Number.POSITIVE_INFINITY, group: registerStepGroup(step) }
        : { ret: step.source.completedAt }),
    })),
  };
}

/** The register's state in words, naming the value it held even where the search merged it. */
function describeStateAfter(history: KeyHistory, prefix: number[], state: RegisterState): string {
  if (state.value !== unreadValue) return describeRegisterState(state, history.values);
  const last = prefix.findLast((i) => history.steps[i]!.op.kind === 'mutate');
  const source = last === undefined ? undefined : history.steps[last]!.op.source;
  const value =
    source !== undefined && source.type !== 'delete' && source.type !== 'read' ? source.input.value : null;
  return describeRegisterState(state, history.values).replace(
    'a value no read returned',
    describeValue(value),
  );
}

function describeFailure(
  history: KeyHistory,
  result: Extract<SearchResult<RegisterState>, { kind: 'violation' }>,
  maxWindow: number,
): KeyFailure {
  const { key, values, steps } = history;
  const stepOf = (i: number): RegisterStep => steps[i]!.op;
  const mandatory = (i: number): boolean => steps[i]!.ret !== Number.POSITIVE_INFINITY;
  const linearized = new Set(result.prefix);
  // The stuck operation first, then the other mandatory candidates, then the indeterminate ones.
  const candidates = [
    result.stuck,
    ...result.pending.filter((i) => i !== result.stuck && mandatory(i)),
    ...result.pending.filter((i) => !mandatory(i)),
  ];
  /** A mandatory operation that could never take effect after `i`: versions only increase. */
  const victimOf = (i: number, after: RegisterState): number | undefined => {
    const rank = registerModel.rank!(after);
    let victim: number | undefined;
    steps.forEach((other, j) => {
      if (j === i || linearized.has(j) || !mandatory(j)) return;
      const limit = registerModel.limit!(other.op);
      if (limit >= rank) return;
      if (victim === undefined || limit < registerModel.limit!(stepOf(victim))) victim = j;
    });
    return victim;
  };
  const held = describeStateAfter(history, result.prefix, result.state);
  const lines = [
    `key ${JSON.stringify(key)}: not linearizable (${count(history.ops.length, 'operation')}).`,
    `The furthest the search got: ${count(result.prefix.length, 'operation')} linearized, after which the register held ${held}.`,
    `Then ${describeOperation(stepOf(result.stuck).source)} had to take effect before it completed, and no pending operation could:`,
  ];
  const victims: number[] = [];
  for (const i of candidates.slice(0, explainedCandidates)) {
    let why = explainRegisterStep(result.state, stepOf(i), values, held);
    if (why === undefined) {
      const victim = victimOf(i, registerModel.step(result.state, stepOf(i))!);
      if (victim === undefined) {
        why = 'it could, but every order from there got stuck';
      } else {
        victims.push(victim);
        why = `it could, but then ${describeOperation(stepOf(victim).source)} never could: ${describeVersionNeed(stepOf(victim))}, and versions only increase`;
      }
    }
    lines.push(`  - ${describeOperation(stepOf(i).source)}: ${why}`);
  }
  if (candidates.length > explainedCandidates) {
    lines.push(`  (and ${candidates.length - explainedCandidates} more pending operations)`);
  }
  const context = result.prefix.slice(-contextOperations);
  if (context.length > 0) {
    lines.push('The last operations linearized before that point, in order:');
    for (const i of context) lines.push(`  - ${describeOperation(stepOf(i).source)}`);
  }
  const shown = candidates.slice(0, explainedCandidates);
  const window = [...new Set([...shown, ...victims, ...context, ...candidates])].slice(0, maxWindow);
  const operations = window
    .map((i) => stepOf(i).source)
    .sort((a, b) => a.invokedAt - b.invokedAt || a.id - b.id);
  return { key, explanation: lines.join('\n'), operations };
}

function describeImpossibleReads(
  history: KeyHistory,
  impossible: ImpossibleRead[],
  maxWindow: number,
): KeyFailure {
  const lines = [
    `key ${JSON.stringify(history.key)}: not linearizable (${count(history.ops.length, 'operation')}).`,
    `${impossible.length === 1 ? 'A read' : `${impossible.length} reads`} returned what no operation could have written:`,
    ...impossible.slice(0, explainedCandidates).map((found) => `  - ${found.explanation}`),
  ];
  if (impossible.length > explainedCandidates)
    lines.push(`  (and ${impossible.length - explainedCandidates} more)`);
  const operations = [...new Set(impossible.flatMap((found) => found.related))]
    .slice(0, maxWindow)
    .sort((a, b) => a.invokedAt - b.invokedAt || a.id - b.id);
  return { key: history.key, explanation: lines.join('\n'), operations };
}

/**
 * Checks that a history of register operations is linearizable, one key at a time (a history is
 * linearizable iff each key's sub-history is). Throws `HistoryFormatError` on malformed operations.
 */
export function checkHistory(history: readonly Operation[], options: CheckOptions = {}): CheckResult {
  const started = performance.now();
  const budgetEnd = started + (options.timeBudgetMs ?? defaultTimeBudgetMs);
  const maxWindow = options.maxWindow ?? defaultMaxWindow;

  const byKey = new Map<string, Operation[]>();
  const ids = new Set<number>();
  for (const record of history) {
    const op = validateOperation(record);
    if (ids.has(op.id)) throw new HistoryFormatError(`operation ${op.id}: duplicate id`);
    ids.add(op.id);
    let ops = byKey.get(op.key);
    if (ops === undefined) {
      ops = [];
      byKey.set(op.key, ops);
    }
    ops.push(op);
  }

  // Small keys first, so one hard key cannot starve the others of time.
  const keys = [...byKey.entries()]
    .map(([key, ops]) => prepareKey(key, ops, options))
    .sort((a, b) => a.steps.length - b.steps.length || (a.key < b.key ? -1 : 1));
  const failures: KeyFailure[] = [];
  let undecided: KeyHistory[] = [];
  keys.forEach((key, i) => {
    const impossible = findImpossibleReads(key.ops);
    if (impossible.length > 0) {
      failures.push(describeImpossibleReads(key, impossible, maxWindow));
      return;
    }
    const share = (budgetEnd - performance.now()) / (keys.length - i);
    const result = searchLinearization(registerModel, key.steps, { deadline: performance.now() + share });
    if (result.kind === 'violation') failures.push(describeFailure(key, result, maxWindow));
    if (result.kind === 'timeout') undecided.push(key);
  });
  // Second pass: what the first left of the budget, in turn, for the keys that ran out.
  undecided = undecided.filter((key) => {
    if (performance.now() >= budgetEnd) return true;
    const result = searchLinearization(registerModel, key.steps, { deadline: budgetEnd });
    if (result.kind === 'violation') failures.push(describeFailure(key, result, maxWindow));
    return result.kind === 'timeout';
  });

  failures.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const verdict: Verdict =
    failures.length > 0 ? 'not-linearizable' : undecided.length > 0 ? 'unknown' : 'linearizable';
  return {
    verdict,
    keys: byKey.size,
    operations: history.length,
    failures,
    unknownKeys: undecided.map((key) => key.key).sort(),
    elapsedMs: performance.now() - started,
  };
}
