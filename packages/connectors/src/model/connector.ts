import type { Static, TObject } from '@sinclair/typebox';
import type { FilterSplit, Predicate } from '../predicate/predicate.js';
import type { Partition, Row, TableRef, TableSchema, TableStatistics } from './table.js';

/** What a source can tell about its data (the `ConnectorMetadata` of StarRocks and Trino). */
export interface ConnectorMetadata {
  listDatabases(): Promise<string[]>;
  listTables(database: string): Promise<string[]>;
  /** Throws a NotFound StarError for an unknown database or table. */
  getTable(ref: TableRef): Promise<TableSchema>;
  listPartitions(ref: TableRef): Promise<Partition[]>;
  getStatistics(ref: TableRef): Promise<TableStatistics>;
}

export interface OrderKey {
  column: string;
  direction: 'asc' | 'desc';
}

/**
 * What a connector agreed to do for one scan, built up by the engine's negotiation: `columns` the
 * source returns, `filter` it evaluates, `orderBy` it sorts by, `limit` it stops at. Null ordering
 * is the same everywhere: nulls last ascending, first descending.
 */
export interface ScanSpec {
  table: TableSchema;
  columns: string[];
  filter?: Predicate | undefined;
  orderBy?: OrderKey[] | undefined;
  limit?: number | undefined;
}

/**
 * Pushdown negotiation in the manner of Trino's `applyFilter`/`applyProjection`/`applyLimit`: the
 * engine offers each part of a query; the connector takes what its source can do and says what
 * is left for the gateway.
 */
export interface ScanPushdown {
  /** Which terms of the filter the source evaluates; the rest stay with the engine. */
  applyFilter(table: TableSchema, filter: Predicate): FilterSplit;
  /** Whether the source can return rows in this order (only asked once the whole filter was pushed). */
  applyOrderBy(table: TableSchema, orderBy: OrderKey[]): boolean;
  /** Whether the source can stop after `limit` rows (asked only when filter and order are all pushed). */
  applyLimit(table: TableSchema, limit: number): boolean;
}

export interface ScanOptions {
  signal?: AbortSignal;
}

export interface Connector extends ScanPushdown {
  readonly type: string;
  readonly catalog: string;
  metadata(): ConnectorMetadata;
  /** Streams the rows of a negotiated scan; only the columns in `spec.columns`. */
  scan(spec: ScanSpec, options?: ScanOptions): AsyncIterable<Row>;
  /** What the source will be asked to do for this scan: the SQL and its parameters, the files to read... */
  describeScan(spec: ScanSpec): Promise<Record<string, unknown>>;
  /** Resolves when the source answers; rejects with a BadGateway StarError otherwise. */
  health(): Promise<void>;
  /** Releases pools, handles and files. */
  close(): Promise<void>;
}

export interface ConnectorContext {
  /** The catalog's name, for messages and metrics. */
  catalog: string;
  /** Retries of transient source errors: attempts after the first, and the first backoff. */
  retry?: { retries: number; minTimeoutMs: number; maxTimeoutMs: number };
  /** Where connectors report retried errors (already masked). */
  onRetry?: (info: { catalog: string; attempt: number; error: string }) => void;
}

/**
 * Builds connectors of one type. `properties` is a TypeBox schema: the registry checks a catalog's
 * properties against it (naming the bad one) and applies defaults. Properties marked
 * `{ secret: true }` (passwords, keys) are encrypted at rest, masked in answers and redacted in logs.
 */
export interface ConnectorFactory<S extends TObject = TObject> {
  readonly type: string;
  readonly description: string;
  readonly properties: S;
  create(properties: Static<S>, context: ConnectorContext): Connector;
}
