import type { OrderKey, ScanPushdown, ScanSpec } from '../model/connector.js';
import type { TableRef, TableSchema } from '../model/table.js';
import { type FilterSplit, type Predicate, splitFilter } from '../predicate/predicate.js';
import { buildSelect, canPushToSql, type ParameterizedSql } from './select-builder.js';
import type { SqlDialect } from './sql-dialect.js';

/**
 * What every SQL source negotiates the same way: it takes each filter term its dialect can express,
 * and sorts and limits in SQL; the SELECT it runs is built from the negotiated spec, values as
 * parameters only. A SQL connector extends this and says how to name a table.
 */
export abstract class SqlPushdown implements ScanPushdown {
  constructor(protected readonly dialect: SqlDialect) {}

  /** The quoted `database.table` of a reference, in this dialect. */
  protected abstract tableSql(ref: TableRef): string;

  applyFilter(table: TableSchema, filter: Predicate): FilterSplit {
    return splitFilter(filter, (term) => canPushToSql(this.dialect, table, term));
  }

  applyOrderBy(_table: TableSchema, _orderBy: OrderKey[]): boolean {
    return true;
  }

  applyLimit(_table: TableSchema, _limit: number): boolean {
    return true;
  }

  selectFor(spec: ScanSpec): ParameterizedSql {
    return buildSelect(this.dialect, this.tableSql(spec.table), spec);
  }
}
