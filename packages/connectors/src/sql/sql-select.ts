import { StarError } from '@star/protocol';
import nodeSqlParser from 'node-sql-parser';
import type { ScanQuery } from '../engine/scan-query.js';
import type { ComparisonOp, Predicate } from '../predicate/predicate.js';

const { Parser } = nodeSqlParser;
const parser = new Parser();

type Node = Record<string, unknown> & { type?: string };
type Literal = string | number | boolean | null;

const COMPARISONS: Record<string, ComparisonOp> = {
  '=': 'eq',
  '!=': 'ne',
  '<>': 'ne',
  '<': 'lt',
  '<=': 'le',
  '>': 'gt',
  '>=': 'ge',
};
// `5 < age` is `age > 5`.
const MIRRORED: Record<ComparisonOp, ComparisonOp> = {
  eq: 'eq',
  ne: 'ne',
  lt: 'gt',
  le: 'ge',
  gt: 'lt',
  ge: 'le',
};

function unsupported(what: string): StarError {
  return new StarError(
    'BadRequest',
    `SQL: ${what}; a query is one SELECT of columns from one table with WHERE, ORDER BY and LIMIT`,
  );
}

/**
 * Turns `SELECT cols FROM db.table WHERE ... ORDER BY ... LIMIT n` into a scan query, using
 * node-sql-parser (PostgreSQL dialect: "quoted" identifiers, 'string' literals). Anything else —
 * joins, subqueries, aggregates, expressions in the select list — is a 400 that says which.
 */
export function parseSelect(sql: string): ScanQuery {
  let ast: unknown;
  try {
    ast = parser.astify(sql, { database: 'PostgresQL' });
  } catch (error) {
    throw new StarError('BadRequest', `SQL: cannot parse: ${(error as Error).message.split('\n')[0]}`);
  }
  if (Array.isArray(ast)) {
    if (ast.length !== 1) throw unsupported(`expected one statement, got ${ast.length}`);
    ast = ast[0];
  }
  const select = ast as Node;
  if (select.type !== 'select')
    throw unsupported(`only SELECT is allowed, not ${String(select.type).toUpperCase()}`);
  if (select.with) throw unsupported('WITH is not supported');
  const from = (select.from ?? []) as Node[];
  if (from.length === 0) throw unsupported('FROM is missing');
  if (from.length > 1 || from.some((item) => item.join)) throw unsupported('joins are not supported');
  const source = from[0]!;
  if (typeof source.table !== 'string' || source.expr) throw unsupported('subqueries are not supported');
  if (select.groupby && (select.groupby as { columns?: unknown }).columns !== null)
    throw unsupported('GROUP BY is not supported');
  if (select.having) throw unsupported('HAVING is not supported');
  if ((select.distinct as { type?: unknown } | null)?.type) throw unsupported('DISTINCT is not supported');
  if (select._next || select.set_op) throw unsupported('UNION and other set operations are not supported');
  const aliases = new Set(
    [source.table, source.as].filter((name): name is string => typeof name === 'string'),
  );

  const query: ScanQuery = { table: source.table };
  if (typeof source.db === 'string' && source.db !== '') query.database = source.db;
  const columns = selectList(select.columns, aliases);
  if (columns) query.columns = columns;
  if (select.where) query.filter = predicate(select.where as Node, aliases);
  const orderBy = ((select.orderby ?? []) as Node[]).map((item) => ({
    column: columnName(item.expr as Node, aliases, 'ORDER BY'),
    direction: item.type === 'DESC' ? ('desc' as const) : ('asc' as const),
  }));
  if (orderBy.length > 0) query.orderBy = orderBy;
  const limit = select.limit as { seperator?: string; value?: Node[] } | null;
  if (limit?.value && limit.value.length > 0) {
    if (limit.value.length > 1 || limit.seperator) throw unsupported('OFFSET is not supported');
    const value = literal(limit.value[0]!);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
      throw unsupported('LIMIT takes a non-negative integer');
    query.limit = value;
  }
  return query;
}

function selectList(raw: unknown, aliases: Set<string>): string[] | undefined {
  if (raw === '*') return undefined;
  const items = raw as Node[];
  if (items.length === 1 && (items[0]!.expr as Node | undefined)?.column === '*') return undefined;
  return items.map((item) => {
    const expr = item.expr as Node;
    if (expr?.type !== 'column_ref')
      throw unsupported('only plain columns can be selected (no expressions or aggregates)');
    if (item.as) throw unsupported('column aliases are not supported');
    return columnName(expr, aliases, 'SELECT');
  });
}

function columnName(node: Node, aliases: Set<string>, where: string): string {
  if (node?.type !== 'column_ref') throw unsupported(`${where} takes column names only`);
  if (typeof node.table === 'string' && node.table !== '' && !aliases.has(node.table)) {
    throw unsupported(`${where}: unknown table "${node.table}"`);
  }
  const column = node.column as string | { expr?: { value?: unknown } };
  const name = typeof column === 'string' ? column : column?.expr?.value;
  if (typeof name !== 'string' || name === '*') throw unsupported(`${where}: expected a column name`);
  return name;
}

function literal(node: Node): Literal {
  switch (node.type) {
    case 'number': {
      const value = Number(node.value);
      if (!Number.isFinite(value)) throw unsupported(`bad number ${String(node.value)}`);
      return value;
    }
    case 'single_quote_string':
    case 'string':
    case 'natural_string':
      return String(node.value);
    case 'bool':
    case 'boolean':
      return Boolean(node.value);
    case 'null':
      return null;
    default:
      throw unsupported(`expected a literal value, got ${node.type}`);
  }
}

function predicate(node: Node, aliases: Set<string>): Predicate {
  if (node.type === 'unary_expr' && node.operator === 'NOT')
    return { op: 'not', arg: predicate(node.expr as Node, aliases) };
  if (node.type === 'function' && functionName(node) === 'NOT') {
    const args = ((node.args as Node)?.value ?? []) as Node[];
    if (args.length !== 1) throw unsupported('NOT takes one condition');
    return { op: 'not', arg: predicate(args[0]!, aliases) };
  }
  if (node.type !== 'binary_expr') throw unsupported(`unsupported condition (${String(node.type)})`);
  const operator = String(node.operator).toUpperCase();
  const left = node.left as Node;
  const right = node.right as Node;
  switch (operator) {
    case 'AND':
    case 'OR': {
      const op = operator === 'AND' ? 'and' : 'or';
      const args = [predicate(left, aliases), predicate(right, aliases)].flatMap((arg) =>
        arg.op === op ? arg.args : [arg],
      );
      return { op, args };
    }
    case 'IN':
    case 'NOT IN': {
      const values = ((right.value ?? []) as Node[]).map(literal);
      const inList: Predicate = { op: 'in', column: columnName(left, aliases, 'IN'), values };
      return operator === 'IN' ? inList : { op: 'not', arg: inList };
    }
    case 'LIKE':
    case 'NOT LIKE': {
      const pattern = literal(right);
      if (typeof pattern !== 'string') throw unsupported('LIKE takes a string pattern');
      const column = columnName(left, aliases, 'LIKE');
      // `LIKE 'abc%'` is a prefix test, which more sources can take.
      const like: Predicate = /^[^%_\\]*%$/.test(pattern)
        ? { op: 'prefix', column, value: pattern.slice(0, -1) }
        : { op: 'like', column, pattern };
      return operator === 'LIKE' ? like : { op: 'not', arg: like };
    }
    case 'IS':
    case 'IS NOT': {
      if (right.type !== 'null') throw unsupported(`${operator} takes NULL`);
      const isNull: Predicate = { op: 'isNull', column: columnName(left, aliases, operator) };
      return operator === 'IS' ? isNull : { op: 'not', arg: isNull };
    }
    case 'BETWEEN':
    case 'NOT BETWEEN': {
      const [low, high] = ((right.value ?? []) as Node[]).map(literal);
      const column = columnName(left, aliases, 'BETWEEN');
      const between: Predicate = {
        op: 'and',
        args: [
          { op: 'ge', column, value: low ?? null },
          { op: 'le', column, value: high ?? null },
        ],
      };
      return operator === 'BETWEEN' ? between : { op: 'not', arg: between };
    }
    default: {
      const op = COMPARISONS[operator];
      if (!op) throw unsupported(`operator ${operator} is not supported`);
      if (left.type === 'column_ref' && right.type !== 'column_ref') {
        return { op, column: columnName(left, aliases, 'WHERE'), value: literal(right) };
      }
      if (right.type === 'column_ref' && left.type !== 'column_ref') {
        return { op: MIRRORED[op], column: columnName(right, aliases, 'WHERE'), value: literal(left) };
      }
      throw unsupported('a comparison needs one column and one literal');
    }
  }
}

function functionName(node: Node): string {
  const name = node.name as { name?: { value?: string }[] } | string;
  return (typeof name === 'string' ? name : (name?.name?.[0]?.value ?? '')).toUpperCase();
}
