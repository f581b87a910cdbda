import { dirname, relative } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { StarError } from '@star/protocol';
import type {
  Connector,
  ConnectorContext,
  ConnectorFactory,
  ConnectorMetadata,
  OrderKey,
  ScanOptions,
  ScanSpec,
} from '../../model/connector.js';
import type {
  Column,
  ColumnStatistics,
  ColumnType,
  Partition,
  Row,
  Scalar,
  TableRef,
  TableSchema,
  TableStatistics,
} from '../../model/table.js';
import { rowFilter } from '../../predicate/evaluate.js';
import {
  type FilterSplit,
  type Predicate,
  predicateColumns,
  splitFilter,
} from '../../predicate/predicate.js';
import { compareValues } from '../../predicate/value-order.js';
import { sourceError } from '../../source/source-errors.js';
import { type FormatOptions, parquetFileStatistics, readFileColumns, readFileRows } from './file-formats.js';
import { type DataFile, FilesLayout, partitionValues, type TableFiles } from './files-layout.js';

export const FilesProperties = Type.Object({
  /** Absolute path of the catalog's root directory on the gateway's host. */
  root: Type.String({ minLength: 1, pattern: '^/' }),
  csvDelimiter: Type.String({ minLength: 1, maxLength: 1, default: ',' }),
  /** Rows sampled from a table's first file to infer CSV and NDJSON column types. */
  inferenceRows: Type.Integer({ minimum: 1, maximum: 100_000, default: 1_000 }),
});
export type FilesProperties = Static<typeof FilesProperties>;

/** A directory of CSV, NDJSON and Parquet files; hive-style `key=value/` directories are partitions. */
export const filesConnectorFactory: ConnectorFactory<typeof FilesProperties> = {
  type: 'files',
  description:
    'CSV, NDJSON and Parquet files under <root>/<database>/<table>; key=value/ directories partition',
  properties: FilesProperties,
  create: (properties, context) => new FilesConnector(properties, context),
};

interface ResolvedTable {
  schema: TableSchema;
  layout: TableFiles;
}

export class FilesConnector implements Connector {
  readonly type = 'files';
  readonly catalog: string;
  readonly #layout: FilesLayout;
  readonly #options: FormatOptions;
  readonly #metadata: ConnectorMetadata;

  constructor(
    private readonly properties: FilesProperties,
    context: ConnectorContext,
  ) {
    this.catalog = context.catalog;
    this.#layout = new FilesLayout(properties.root);
    this.#options = { csvDelimiter: properties.csvDelimiter, inferenceRows: properties.inferenceRows };
    this.#metadata = {
      listDatabases: () => this.#guard(() => this.#layout.databases()),
      listTables: (database) => this.#guard(() => this.#layout.tables(database)),
      getTable: async (ref) => (await this.#resolve(ref)).schema,
      listPartitions: (ref) => this.#listPartitions(ref),
      getStatistics: (ref) => this.#getStatistics(ref),
    };
  }

  metadata(): ConnectorMetadata {
    return this.#metadata;
  }

  /** Terms on partition columns only are taken: they prune whole files before any is opened. */
  applyFilter(table: TableSchema, filter: Predicate): FilterSplit {
    const partitions = new Set(table.partitionColumns);
    if (partitions.size === 0) return { pushed: undefined, remaining: filter };
    return splitFilter(filter, (term) => [...predicateColumns(term)].every((name) => partitions.has(name)));
  }

  applyOrderBy(_table: TableSchema, _orderBy: OrderKey[]): boolean {
    return false;
  }

  /** Reading stops once `limit` rows are out. */
  applyLimit(_table: TableSchema, _limit: number): boolean {
    return true;
  }

  async describeScan(spec: ScanSpec): Promise<Record<string, unknown>> {
    const layout = await this.#files(spec.table);
    const { read, pruned } = this.#prune(spec, layout);
    return {
      files: read.map((file) => relative(this.properties.root, file.path)),
      prunedFiles: pruned.map((file) => relative(this.properties.root, file.path)),
      columnsRead: spec.columns,
      ...(spec.limit !== undefined ? { stopAfterRows: spec.limit } : {}),
    };
  }

  async *scan(spec: ScanSpec, options: ScanOptions = {}): AsyncGenerator<Row> {
    // The schema comes with the spec (cached by the gateway): only the file list is read again here.
    const layout = await this.#files(spec.table);
    const { read } = this.#prune(spec, layout);
    const wanted = new Set(spec.columns);
    const dataColumns = spec.table.columns.filter(
      (column) => !column.partitionKey && wanted.has(column.name),
    );
    let emitted = 0;
    for (const file of read) {
      const partition = partitionValues(file, layout.partitionColumns);
      try {
        for await (const data of readFileRows(file.path, file.format, dataColumns, this.#options)) {
          options.signal?.throwIfAborted();
          const row: Row = {};
          for (const name of spec.columns) row[name] = name in partition ? partition[name] : data[name];
          yield row;
          if (spec.limit !== undefined && ++emitted >= spec.limit) return;
        }
      } catch (error) {
        throw sourceError(
          this.catalog,
          new Error(`${relative(this.properties.root, file.path)}: ${(error as Error).message}`),
          [],
        );
      }
    }
  }

  async health(): Promise<void> {
    await this.#guard(() => this.#layout.databases());
  }

  async close(): Promise<void> {}

  /** Files whose partition values can satisfy the pushed filter; the others are never opened. */
  #prune(spec: ScanSpec, layout: TableFiles): { read: DataFile[]; pruned: DataFile[] } {
    if (!spec.filter) return { read: layout.files, pruned: [] };
    const types = new Map<string, ColumnType>(
      layout.partitionColumns.map((column) => [column.name, column.type]),
    );
    const keep = rowFilter(spec.filter, types);
    const read: DataFile[] = [];
    const pruned: DataFile[] = [];
    for (const file of layout.files)
      (keep(partitionValues(file, layout.partitionColumns)) ? read : pruned).push(file);
    return { read, pruned };
  }

  #files(ref: TableRef): Promise<TableFiles> {
    return this.#guard(() => this.#layout.tableFiles(ref.database, ref.table));
  }

  /** The table's schema: the first file's columns (its footer or a sample of rows) plus partition columns. */
  async #resolve(ref: TableRef): Promise<ResolvedTable> {
    const layout = await this.#files(ref);
    const first = layout.files[0];
    const partitionNames = new Set(layout.partitionColumns.map((column) => column.name));
    const dataColumns = first
      ? await this.#guard(() => readFileColumns(first.path, first.format, this.#options))
      : [];
    const columns: Column[] = [
      ...dataColumns.filter((column) => !partitionNames.has(column.name)),
      ...layout.partitionColumns.map((column) => ({
        name: column.name,
        type: column.type,
        sourceType: 'partition',
        nullable: true,
        partitionKey: true,
      })),
    ];
    return { schema: { ...ref, columns, partitionColumns: [...partitionNames] }, layout };
  }

  async #listPartitions(ref: TableRef): Promise<Partition[]> {
    const { layout } = await this.#resolve(ref);
    if (layout.partitionColumns.length === 0) return [];
    const byLocation = new Map<string, Partition>();
    for (const file of layout.files) {
      const location = relative(this.properties.root, dirname(file.path));
      const partition = byLocation.get(location) ?? {
        values: partitionValues(file, layout.partitionColumns),
        location,
        files: 0,
      };
      partition.files = (partition.files ?? 0) + 1;
      byLocation.set(location, partition);
    }
    return [...byLocation.values()];
  }

  /**
   * Parquet figures come from file footers (no data read); CSV and NDJSON tables are read once in
   * full, which the gateway's metadata cache keeps for its TTL.
   */
  async #getStatistics(ref: TableRef): Promise<TableStatistics> {
    const { schema, layout } = await this.#resolve(ref);
    const allParquet = layout.files.every((file) => file.format === 'parquet');
    const accumulator = new StatisticsAccumulator(schema.columns);
    if (allParquet) {
      for (const file of layout.files) {
        const fileStats = await this.#guard(() => parquetFileStatistics(file.path, schema.columns));
        accumulator.addFooter(fileStats, partitionValues(file, layout.partitionColumns));
      }
    } else {
      for await (const row of this.scan({ table: schema, columns: schema.columns.map((c) => c.name) }))
        accumulator.addRow(row);
    }
    return accumulator.result(!allParquet);
  }

  async #guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof StarError && error.code === 'NotFound') {
        throw new StarError('NotFound', `catalog ${this.catalog}: ${error.message}`);
      }
      throw sourceError(this.catalog, error, []);
    }
  }
}

/** Sums figures over rows (CSV, NDJSON) or over parquet footers plus partition values. */
class StatisticsAccumulator {
  #rows = 0;
  readonly #stats = new Map<string, ColumnStatistics>();
  readonly #distinct = new Map<string, Set<unknown>>();

  constructor(private readonly columns: Column[]) {
    for (const column of columns) {
      this.#stats.set(column.name, { nullCount: 0 });
      this.#distinct.set(column.name, new Set());
    }
  }

  addRow(row: Row): void {
    this.#rows++;
    for (const column of this.columns) this.#addValue(column, row[column.name], 1);
  }

  addFooter(
    file: { rowCount: number; columns: Record<string, ColumnStatistics> },
    partition: Record<string, Scalar>,
  ): void {
    this.#rows += file.rowCount;
    for (const column of this.columns) {
      if (column.partitionKey) {
        this.#addValue(column, partition[column.name], file.rowCount);
        continue;
      }
      const stats = this.#stats.get(column.name)!;
      const source = file.columns[column.name];
      stats.nullCount = (stats.nullCount ?? 0) + (source?.nullCount ?? 0);
      this.#extend(stats, column.type, source?.min);
      this.#extend(stats, column.type, source?.max);
      this.#distinct.delete(column.name);
    }
  }

  result(exactDistinct: boolean): TableStatistics {
    const columns: Record<string, ColumnStatistics> = {};
    for (const column of this.columns) {
      const stats = { ...this.#stats.get(column.name)! };
      const distinct = this.#distinct.get(column.name);
      if (distinct && (exactDistinct || column.partitionKey)) stats.distinctCount = distinct.size;
      columns[column.name] = stats;
    }
    return { rowCount: this.#rows, exact: exactDistinct, columns };
  }

  #addValue(column: Column, value: unknown, weight: number): void {
    const stats = this.#stats.get(column.name)!;
    if (value === null || value === undefined) {
      stats.nullCount = (stats.nullCount ?? 0) + weight;
      return;
    }
    this.#distinct.get(column.name)?.add(typeof value === 'object' ? JSON.stringify(value) : value);
    if (column.type !== 'json' && column.type !== 'bytes') this.#extend(stats, column.type, value as Scalar);
  }

  #extend(stats: ColumnStatistics, type: ColumnType, value: Scalar | undefined): void {
    if (value === null || value === undefined) return;
    if (stats.min === undefined || compareValues(value, stats.min, type) < 0) stats.min = value;
    if (stats.max === undefined || compareValues(value, stats.max, type) > 0) stats.max = value;
  }
}
