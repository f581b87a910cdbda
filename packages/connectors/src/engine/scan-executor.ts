import { StarError } from '@star/protocol';
import type { Connector, OrderKey, ScanOptions } from '../model/connector.js';
import type { ColumnType, Row } from '../model/table.js';
import { rowFilter } from '../predicate/evaluate.js';
import { compareValues } from '../predicate/value-order.js';
import type { ScanPlan } from './scan-planner.js';

/** Sorting in the gateway holds every row in memory; past this a query must let the source sort or filter more. */
export const DEFAULT_MAX_SORT_ROWS = 1_000_000;

/**
 * Runs a plan: streams the connector's rows through the remaining filter, sort and limit, and
 * projects each row to the output columns. Stopping early (limit reached, client gone) ends the
 * connector's iterator, which closes its cursor or file.
 */
export async function* executeScan(
  connector: Connector,
  plan: ScanPlan,
  options: ScanOptions & { maxSortRows?: number } = {},
): AsyncGenerator<Row> {
  const types = new Map<string, ColumnType>(
    plan.pushed.table.columns.map((column) => [column.name, column.type]),
  );
  const keep = plan.remaining.filter ? rowFilter(plan.remaining.filter, types) : undefined;
  const limit = plan.remaining.limit;
  if (limit === 0) return;
  const project = (row: Row): Row => {
    const out: Row = {};
    for (const name of plan.outputColumns) out[name] = row[name] ?? null;
    return out;
  };
  const source = connector.scan(plan.pushed, options);

  if (plan.remaining.orderBy) {
    const maxRows = options.maxSortRows ?? DEFAULT_MAX_SORT_ROWS;
    const rows: Row[] = [];
    for await (const row of source) {
      if (keep && !keep(row)) continue;
      rows.push(row);
      if (rows.length > maxRows) {
        throw new StarError(
          'BadRequest',
          `sorting in the gateway is limited to ${maxRows} rows; add a filter the source can take or drop orderBy`,
        );
      }
    }
    rows.sort(rowOrder(plan.remaining.orderBy, types));
    const end = limit === undefined ? rows.length : Math.min(limit, rows.length);
    for (let i = 0; i < end; i++) yield project(rows[i]!);
    return;
  }

  let emitted = 0;
  for await (const row of source) {
    if (keep && !keep(row)) continue;
    yield project(row);
    emitted++;
    if (limit !== undefined && emitted >= limit) return;
  }
}

/** Nulls last ascending and first descending, as the SQL connectors push it. */
export function rowOrder(
  orderBy: OrderKey[],
  types: ReadonlyMap<string, ColumnType>,
): (a: Row, b: Row) => number {
  return (a, b) => {
    for (const key of orderBy) {
      const left = a[key.column];
      const right = b[key.column];
      const leftNull = left === null || left === undefined;
      const rightNull = right === null || right === undefined;
      let order: number;
      if (leftNull || rightNull) order = leftNull === rightNull ? 0 : leftNull ? 1 : -1;
      else order = compareValues(left, right, types.get(key.column));
      if (order !== 0) return key.direction === 'desc' ? -order : order;
    }
    return 0;
  };
}
