/**
 * What every connector describes its data with. Types are logical: each connector maps its
 * source's native types onto these (the native name stays in `sourceType`), so filters can be
 * type-checked and results look the same whatever the source.
 */
export type ColumnType = 'string' | 'integer' | 'float' | 'boolean' | 'timestamp' | 'date' | 'bytes' | 'json';

/** A scalar as it appears in rows and filters: timestamps and dates as ISO-8601 strings, bytes as base64. */
export type Scalar = string | number | boolean | null;

/** One result row: column name to value (json columns may hold objects and arrays). */
export type Row = Record<string, unknown>;

export interface Column {
  name: string;
  type: ColumnType;
  /** The source's own type name (`int4`, `varchar(40)`, `INT64`...). */
  sourceType: string;
  nullable: boolean;
  /** True for hive-style partition columns (files connector). */
  partitionKey?: boolean;
}

export interface TableRef {
  database: string;
  table: string;
}

export interface TableSchema extends TableRef {
  columns: Column[];
  /** Names of the columns that partition the table (empty when it is not partitioned). */
  partitionColumns: string[];
}

export interface Partition {
  /** Partition column to value, e.g. `{ year: 2024, country: 'fr' }`. */
  values: Record<string, Scalar>;
  /** Where the partition's data lives (a directory for the files connector). */
  location?: string;
  files?: number;
  rowCount?: number;
}

export interface ColumnStatistics {
  nullCount?: number;
  min?: Scalar;
  max?: Scalar;
  /** An estimate unless the connector says otherwise. */
  distinctCount?: number;
}

export interface TableStatistics {
  rowCount?: number;
  /** Whether the figures are exact or the source's estimates (e.g. PostgreSQL's pg_stats). */
  exact: boolean;
  columns: Record<string, ColumnStatistics>;
}

export function columnOf(schema: TableSchema, name: string): Column | undefined {
  return schema.columns.find((column) => column.name === name);
}

export function tableName(ref: TableRef): string {
  return `${ref.database}.${ref.table}`;
}
