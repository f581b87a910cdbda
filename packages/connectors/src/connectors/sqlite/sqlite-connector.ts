import { type Static, Type } from '@sinclair/typebox';
import { StarError } from '@star/protocol';
import Database from 'better-sqlite3';
import type {
  Connector,
  ConnectorContext,
  ConnectorFactory,
  ConnectorMetadata,
  ScanOptions,
  ScanSpec,
} from '../../model/connector.js';
import type { Column, Partition, Row, TableRef, TableSchema, TableStatistics } from '../../model/table.js';
import { sourceError } from '../../source/source-errors.js';
import { SqlPushdown } from '../../sql/sql-pushdown.js';
import { readStatistics, statisticsQuery } from '../../sql/sql-statistics.js';
import { sqliteColumnType, sqliteDialect } from './sqlite-dialect.js';

export const SqliteProperties = Type.Object({
  /** Path of the database file on the gateway's host; opened read-only, never created. */
  path: Type.String({ minLength: 1 }),
  /** How long a read waits for a writer's lock. */
  busyTimeoutMs: Type.Integer({ minimum: 0, default: 5_000 }),
});
export type SqliteProperties = Static<typeof SqliteProperties>;

/** SQLite (better-sqlite3, read-only): databases are `main` and any attached schema. */
export const sqliteConnectorFactory: ConnectorFactory<typeof SqliteProperties> = {
  type: 'sqlite',
  description: 'SQLite file opened read-only (better-sqlite3); the database is "main"',
  properties: SqliteProperties,
  create: (properties, context) => new SqliteConnector(properties, context),
};

export class SqliteConnector extends SqlPushdown implements Connector {
  readonly type = 'sqlite';
  readonly catalog: string;
  readonly #metadata: ConnectorMetadata;
  #db: Database.Database | undefined;

  constructor(
    private readonly properties: SqliteProperties,
    context: ConnectorContext,
  ) {
    super(sqliteDialect);
    this.catalog = context.catalog;
    this.#metadata = {
      listDatabases: async () => this.#listDatabases(),
      listTables: async (database) => this.#listTables(database),
      getTable: async (ref) => this.#getTable(ref),
      listPartitions: async (ref): Promise<Partition[]> => {
        this.#getTable(ref);
        return [];
      },
      getStatistics: async (ref) => this.#getStatistics(ref),
    };
  }

  metadata(): ConnectorMetadata {
    return this.#metadata;
  }

  async describeScan(spec: ScanSpec): Promise<Record<string, unknown>> {
    return { ...this.selectFor(spec) };
  }

  async *scan(spec: ScanSpec, options: ScanOptions = {}): AsyncGenerator<Row> {
    const { sql, params } = this.selectFor(spec);
    const rows = this.#guard(() =>
      this.#database()
        .prepare(sql)
        .iterate(...params),
    );
    let count = 0;
    // return() on the statement iterator (early stop) releases the statement for the next query.
    try {
      for (const row of rows) {
        options.signal?.throwIfAborted();
        yield normalizeRow(row as Row, spec);
        // Give the event loop a turn now and then: better-sqlite3 reads synchronously.
        if (++count % 1_000 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      rows.return?.();
    }
  }

  async health(): Promise<void> {
    this.#guard(() => this.#database().prepare('SELECT 1').get());
  }

  async close(): Promise<void> {
    this.#db?.close();
    this.#db = undefined;
  }

  /** Opened on first use so a catalog can be registered before its file exists. */
  #database(): Database.Database {
    if (!this.#db) {
      this.#db = this.#guard(
        () =>
          new Database(this.properties.path, {
            readonly: true,
            fileMustExist: true,
            timeout: this.properties.busyTimeoutMs,
          }),
      );
    }
    return this.#db;
  }

  #guard<T>(call: () => T): T {
    try {
      return call();
    } catch (error) {
      throw sourceError(this.catalog, error, []);
    }
  }

  protected tableSql(ref: TableRef): string {
    return `${sqliteDialect.quoteIdentifier(ref.database)}.${sqliteDialect.quoteIdentifier(ref.table)}`;
  }

  #listDatabases(): string[] {
    const rows = this.#guard(() =>
      this.#database().prepare('SELECT name FROM pragma_database_list ORDER BY seq').all(),
    );
    return (rows as { name: string }[]).map((row) => row.name).filter((name) => name !== 'temp');
  }

  #listTables(database: string): string[] {
    if (!this.#listDatabases().includes(database)) {
      throw new StarError('NotFound', `catalog ${this.catalog} has no database "${database}"`);
    }
    const rows = this.#guard(() =>
      this.#database()
        .prepare(
          `SELECT name FROM pragma_table_list WHERE schema = ? AND type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`,
        )
        .all(database),
    );
    return (rows as { name: string }[]).map((row) => row.name);
  }

  #getTable(ref: TableRef): TableSchema {
    const rows = this.#guard(() =>
      this.#database()
        .prepare('SELECT name, type, "notnull" AS not_null, pk FROM pragma_table_info(?, ?) ORDER BY cid')
        .all(ref.table, ref.database),
    ) as { name: string; type: string; not_null: number; pk: number }[];
    if (rows.length === 0) {
      throw new StarError('NotFound', `catalog ${this.catalog} has no table ${ref.database}.${ref.table}`);
    }
    const columns: Column[] = rows.map((row) => ({
      name: row.name,
      type: sqliteColumnType(row.type),
      sourceType: row.type,
      nullable: row.not_null === 0 && row.pk === 0,
    }));
    return { ...ref, columns, partitionColumns: [] };
  }

  /** SQLite can say everything exactly (one aggregate, distinct counts included). */
  #getStatistics(ref: TableRef): TableStatistics {
    const schema = this.#getTable(ref);
    const aggregate = this.#guard(() =>
      this.#database()
        .prepare(statisticsQuery(sqliteDialect, this.tableSql(ref), schema, { distinct: true }))
        .get(),
    ) as Record<string, unknown>;
    const { rowCount, columns } = readStatistics(schema, aggregate, (value, column) =>
      normalizeValue(value, column),
    );
    return { rowCount, exact: true, columns };
  }
}

function normalizeValue(value: unknown, column: Column): unknown {
  if (value === null || value === undefined) return null;
  if (column.type === 'boolean' && typeof value === 'number') return value !== 0;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}

function normalizeRow(row: Row, spec: ScanSpec): Row {
  for (const column of spec.table.columns) {
    if (column.name in row) row[column.name] = normalizeValue(row[column.name], column);
  }
  return row;
}
