import { StarError } from '@star/protocol';
import type { Connector, ConnectorMetadata, OrderKey, ScanSpec } from '../model/connector.js';
import { columnOf, type TableRef, type TableSchema, tableName } from '../model/table.js';
import { checkPredicate } from '../predicate/check-predicate.js';
import { type Predicate, predicateColumns } from '../predicate/predicate.js';
import { resolveTableRef, type ScanQuery } from './scan-query.js';

/** The outcome of negotiating a query with a connector: what the source does and what the gateway does. */
export interface ScanPlan {
  catalog: string;
  connectorType: string;
  table: TableRef;
  /** Columns of the result, in order. */
  outputColumns: string[];
  /** What the connector accepted. */
  pushed: ScanSpec;
  /** What the gateway applies to the rows the connector returns, in this order. */
  remaining: { filter?: Predicate; orderBy?: OrderKey[]; limit?: number };
}

/**
 * Negotiates a query with a connector, Trino-style: projection first (the source returns only the
 * columns the result, the remaining filter and the remaining sort need), then the filter (the
 * connector takes the terms it can), then order and limit, which can only be pushed once nothing
 * the gateway still does could change which rows come first.
 */
export async function planScan(
  connector: Connector,
  metadata: ConnectorMetadata,
  query: ScanQuery,
): Promise<ScanPlan> {
  const ref = resolveTableRef(query);
  const schema = await metadata.getTable(ref);
  const outputColumns = query.columns ?? schema.columns.map((column) => column.name);
  for (const name of outputColumns) requireColumn(schema, name, 'columns');
  const orderBy = (query.orderBy ?? []).map(
    (key): OrderKey => ({
      column: requireColumn(schema, key.column, 'orderBy'),
      direction: key.direction ?? 'asc',
    }),
  );
  if (query.filter) checkPredicate(query.filter, schema);

  const split = query.filter
    ? connector.applyFilter(schema, query.filter)
    : { pushed: undefined, remaining: undefined };
  const orderPushed =
    orderBy.length === 0 || (split.remaining === undefined && connector.applyOrderBy(schema, orderBy));
  const limitPushed =
    query.limit !== undefined &&
    split.remaining === undefined &&
    orderPushed &&
    connector.applyLimit(schema, query.limit);

  const needed = new Set(outputColumns);
  if (split.remaining) predicateColumns(split.remaining, needed);
  if (!orderPushed) for (const key of orderBy) needed.add(key.column);
  const pushed: ScanSpec = {
    table: schema,
    // Keep the table's column order for the source; the engine projects to the query's order.
    columns: schema.columns.map((column) => column.name).filter((name) => needed.has(name)),
    filter: split.pushed,
    orderBy: orderPushed && orderBy.length > 0 ? orderBy : undefined,
    limit: limitPushed ? query.limit : undefined,
  };
  const remaining: ScanPlan['remaining'] = {};
  if (split.remaining) remaining.filter = split.remaining;
  if (!orderPushed) remaining.orderBy = orderBy;
  if (query.limit !== undefined && !limitPushed) remaining.limit = query.limit;
  return {
    catalog: connector.catalog,
    connectorType: connector.type,
    table: ref,
    outputColumns,
    pushed,
    remaining,
  };
}

function requireColumn(schema: TableSchema, name: string, where: string): string {
  if (!columnOf(schema, name)) {
    throw new StarError('BadRequest', `${where}: table ${tableName(schema)} has no column "${name}"`, {
      column: name,
    });
  }
  return name;
}

/** What `?explain=true` answers: the negotiated plan and what the source will be sent. */
export async function explainScan(connector: Connector, plan: ScanPlan): Promise<Record<string, unknown>> {
  const { table, ...pushedParts } = plan.pushed;
  return {
    catalog: plan.catalog,
    connector: plan.connectorType,
    table: plan.table,
    outputColumns: plan.outputColumns,
    pushed: pushedParts,
    remaining: plan.remaining,
    source: await connector.describeScan(plan.pushed),
  };
}
