import { type Static, Type } from '@sinclair/typebox';

const ScalarValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);
const ColumnName = Type.String({ minLength: 1, maxLength: 256 });

/**
 * The filter language of scans: a small predicate tree, the same for JSON queries, parsed SQL
 * and what connectors push to their sources. `like` uses SQL patterns (`%` any run, `_` one
 * character, `\` escapes) and is case-sensitive; comparisons with null are unknown (SQL's
 * three-valued logic), so `ne` never matches a null.
 */
export const Predicate = Type.Recursive(
  (Self) =>
    Type.Union([
      Type.Object(
        {
          op: Type.Union([
            Type.Literal('eq'),
            Type.Literal('ne'),
            Type.Literal('lt'),
            Type.Literal('le'),
            Type.Literal('gt'),
            Type.Literal('ge'),
          ]),
          column: ColumnName,
          value: ScalarValue,
        },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          op: Type.Literal('in'),
          column: ColumnName,
          values: Type.Array(ScalarValue, { minItems: 1, maxItems: 10_000 }),
        },
        { additionalProperties: false },
      ),
      Type.Object(
        { op: Type.Literal('prefix'), column: ColumnName, value: Type.String() },
        { additionalProperties: false },
      ),
      Type.Object(
        { op: Type.Literal('like'), column: ColumnName, pattern: Type.String() },
        { additionalProperties: false },
      ),
      Type.Object({ op: Type.Literal('isNull'), column: ColumnName }, { additionalProperties: false }),
      Type.Object(
        {
          op: Type.Union([Type.Literal('and'), Type.Literal('or')]),
          args: Type.Array(Self, { minItems: 1 }),
        },
        { additionalProperties: false },
      ),
      Type.Object({ op: Type.Literal('not'), arg: Self }, { additionalProperties: false }),
    ]),
  { $id: 'Predicate' },
);

export type ComparisonOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type Predicate =
  | { op: ComparisonOp; column: string; value: string | number | boolean | null }
  | { op: 'in'; column: string; values: (string | number | boolean | null)[] }
  | { op: 'prefix'; column: string; value: string }
  | { op: 'like'; column: string; pattern: string }
  | { op: 'isNull'; column: string }
  | { op: 'and' | 'or'; args: Predicate[] }
  | { op: 'not'; arg: Predicate };

// The hand-written union is easier to read in editors; this line keeps it equal to the schema.
type _SameAsSchema = Static<typeof Predicate> extends Predicate ? true : never;
export const predicateMatchesSchema: _SameAsSchema = true;

export const COMPARISON_OPS: readonly ComparisonOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];

export function isComparison(predicate: Predicate): predicate is Extract<Predicate, { op: ComparisonOp }> {
  return (COMPARISON_OPS as readonly string[]).includes(predicate.op);
}

/** The columns a predicate reads. */
export function predicateColumns(predicate: Predicate, into = new Set<string>()): Set<string> {
  switch (predicate.op) {
    case 'and':
    case 'or':
      for (const arg of predicate.args) predicateColumns(arg, into);
      break;
    case 'not':
      predicateColumns(predicate.arg, into);
      break;
    default:
      into.add(predicate.column);
  }
  return into;
}

/** Top-level AND terms: the units a connector can take or leave one by one. */
export function conjuncts(predicate: Predicate | undefined): Predicate[] {
  if (predicate === undefined) return [];
  if (predicate.op === 'and') return predicate.args.flatMap((arg) => conjuncts(arg));
  return [predicate];
}

/** Joins terms back into one predicate (undefined for none). */
export function allOf(terms: Predicate[]): Predicate | undefined {
  if (terms.length === 0) return undefined;
  if (terms.length === 1) return terms[0];
  return { op: 'and', args: terms };
}

export interface FilterSplit {
  /** What the source evaluates. */
  pushed: Predicate | undefined;
  /** What the gateway still has to evaluate on the rows it gets. */
  remaining: Predicate | undefined;
}

/** Splits a filter by conjunct: each term the connector can evaluate is pushed, the rest remain. */
export function splitFilter(
  filter: Predicate | undefined,
  canPush: (term: Predicate) => boolean,
): FilterSplit {
  const pushed: Predicate[] = [];
  const remaining: Predicate[] = [];
  for (const term of conjuncts(filter)) (canPush(term) ? pushed : remaining).push(term);
  return { pushed: allOf(pushed), remaining: allOf(remaining) };
}

/** True when every leaf of the predicate satisfies `test` (for connectors that push whole subtrees). */
export function everyLeaf(predicate: Predicate, test: (leaf: Predicate) => boolean): boolean {
  switch (predicate.op) {
    case 'and':
    case 'or':
      return predicate.args.every((arg) => everyLeaf(arg, test));
    case 'not':
      return everyLeaf(predicate.arg, test);
    default:
      return test(predicate);
  }
}
