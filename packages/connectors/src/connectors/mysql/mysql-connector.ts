import { type Static, Type } from '@sinclair/typebox';
import { StarError } from '@star/protocol';
import mysql from 'mysql2';
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
import { withSourceRetry } from '../../source/source-retry.js';
import { SqlPushdown } from '../../sql/sql-pushdown.js';
import { readStatistics, statisticsQuery } from '../../sql/sql-statistics.js';
import { mysqlDialect } from './mysql-dialect.js';
import { isTransientMysqlError, mysqlColumnType, mysqlDateTimeToIso } from './mysql-types.js';

export const MysqlProperties = Type.Object({
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 3306 }),
  user: Type.String({ minLength: 1 }),
  password: Type.String({ secret: true, default: '' }),
  /** Connections this catalog may hold open at once (per gateway). */
  poolMax: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  /** An idle pooled connection is closed after this long. */
  idleTimeoutMs: Type.Integer({ minimum: 1_000, default: 30_000 }),
  connectTimeoutMs: Type.Integer({ minimum: 100, default: 5_000 }),
});
export type MysqlProperties = Static<typeof MysqlProperties>;

const SYSTEM_DATABASES = ['mysql', 'information_schema', 'performance_schema', 'sys'];

/** MySQL and MariaDB (mysql2): databases are the server's schemas. */
export const mysqlConnectorFactory: ConnectorFactory<typeof MysqlProperties> = {
  type: 'mysql',
  description: 'MySQL or MariaDB (mysql2); databases are the server schemas',
  properties: MysqlProperties,
  create: (properties, context) => new MysqlConnector(properties, context),
};

export class MysqlConnector extends SqlPushdown implements Connector {
  readonly type = 'mysql';
  readonly catalog: string;
  readonly #pool: mysql.Pool;
  readonly #secrets: string[];
  readonly #metadata: ConnectorMetadata;

  constructor(
    properties: MysqlProperties,
    private readonly context: ConnectorContext,
  ) {
    super(mysqlDialect);
    this.catalog = context.catalog;
    this.#secrets = [properties.password];
    this.#pool = mysql.createPool({
      host: properties.host,
      port: properties.port,
      user: properties.user,
      password: properties.password,
      connectionLimit: properties.poolMax,
      maxIdle: properties.poolMax,
      idleTimeout: properties.idleTimeoutMs,
      connectTimeout: properties.connectTimeoutMs,
      dateStrings: true,
      timezone: 'Z',
      supportBigNumbers: true,
      decimalNumbers: true,
    });
    this.#metadata = {
      listDatabases: () => this.#listDatabases(),
      listTables: (database) => this.#listTables(database),
      getTable: (ref) => this.#getTable(ref),
      listPartitions: (ref) => this.#listPartitions(ref),
      getStatistics: (ref) => this.#getStatistics(ref),
    };
  }

  metadata(): ConnectorMetadata {
    return this.#metadata;
  }

  async describeScan(spec: ScanSpec): Promise<Record<string, unknown>> {
    return { ...this.selectFor(spec), prepared: true };
  }

  /** Streams a server-side prepared statement; a connection left mid-result is destroyed, not reused. */
  async *scan(spec: ScanSpec, options: ScanOptions = {}): AsyncGenerator<Row> {
    const { sql, params } = this.selectFor(spec);
    const connection = await this.#run(
      () =>
        new Promise<mysql.PoolConnection>((resolve, reject) =>
          this.#pool.getConnection((error, acquired) => (error ? reject(error) : resolve(acquired))),
        ),
    );
    const stream = connection
      .execute(sql, params as never[])
      .stream({ objectMode: true, highWaterMark: 500 });
    const onAbort = () => stream.destroy(new Error('scan aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    try {
      for await (const row of stream) yield normalizeRow(row as Row, spec);
      finished = true;
    } catch (error) {
      throw sourceError(this.catalog, error, this.#secrets);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      if (finished) connection.release();
      else connection.destroy();
    }
  }

  async health(): Promise<void> {
    await this.#query('SELECT 1', []);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#pool.end(() => resolve()));
  }

  protected tableSql(ref: TableRef): string {
    return `${mysqlDialect.quoteIdentifier(ref.database)}.${mysqlDialect.quoteIdentifier(ref.table)}`;
  }

  async #run<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await withSourceRetry(this.context, this.#secrets, isTransientMysqlError, call);
    } catch (error) {
      throw sourceError(this.catalog, error, this.#secrets);
    }
  }

  async #query(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    const [rows] = await this.#run(() => this.#pool.promise().execute(sql, params as never[]));
    return rows as Record<string, unknown>[];
  }

  async #listDatabases(): Promise<string[]> {
    const rows = await this.#query(
      `SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN (?, ?, ?, ?) ORDER BY SCHEMA_NAME`,
      SYSTEM_DATABASES,
    );
    return rows.map((row) => String(row.name));
  }

  async #listTables(database: string): Promise<string[]> {
    if (!(await this.#listDatabases()).includes(database)) {
      throw new StarError('NotFound', `catalog ${this.catalog} has no database "${database}"`);
    }
    const rows = await this.#query(
      `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`,
      [database],
    );
    return rows.map((row) => String(row.name));
  }

  async #getTable(ref: TableRef): Promise<TableSchema> {
    const rows = await this.#query(
      `SELECT COLUMN_NAME AS name, DATA_TYPE AS data_type, COLUMN_TYPE AS column_type, IS_NULLABLE AS nullable
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [ref.database, ref.table],
    );
    if (rows.length === 0) {
      throw new StarError('NotFound', `catalog ${this.catalog} has no table ${ref.database}.${ref.table}`);
    }
    const columns: Column[] = rows.map((row) => ({
      name: String(row.name),
      type: mysqlColumnType(String(row.data_type), String(row.column_type)),
      sourceType: String(row.column_type),
      nullable: row.nullable === 'YES',
    }));
    return { ...ref, columns, partitionColumns: [] };
  }

  async #listPartitions(ref: TableRef): Promise<Partition[]> {
    await this.#getTable(ref);
    const rows = await this.#query(
      `SELECT PARTITION_NAME AS name, PARTITION_METHOD AS method, PARTITION_EXPRESSION AS expression,
              PARTITION_DESCRIPTION AS description, TABLE_ROWS AS estimated_rows
       FROM information_schema.PARTITIONS
       WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND PARTITION_NAME IS NOT NULL
       ORDER BY PARTITION_ORDINAL_POSITION`,
      [ref.database, ref.table],
    );
    return rows.map((row) => ({
      values: {
        partition: String(row.name),
        method: String(row.method),
        expression: String(row.expression),
        description: String(row.description),
      },
      location: `${ref.database}.${ref.table}#${row.name}`,
      rowCount: Number(row.estimated_rows),
    }));
  }

  /** Exact counts, min and max from one aggregate; distinct estimates from index cardinality. */
  async #getStatistics(ref: TableRef): Promise<TableStatistics> {
    const schema = await this.#getTable(ref);
    const [aggregate] = await this.#query(statisticsQuery(mysqlDialect, this.tableSql(ref), schema), []);
    const { rowCount, columns } = readStatistics(schema, aggregate ?? {}, (value, column) =>
      normalizeValue(value, column),
    );
    const cardinalities = await this.#query(
      `SELECT COLUMN_NAME AS name, MAX(CARDINALITY) AS cardinality FROM information_schema.STATISTICS
       WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND SEQ_IN_INDEX = 1 GROUP BY COLUMN_NAME`,
      [ref.database, ref.table],
    );
    for (const row of cardinalities) {
      const stats = columns[String(row.name)];
      if (stats && row.cardinality !== null) stats.distinctCount = Number(row.cardinality);
    }
    return { rowCount, exact: true, columns };
  }
}

function normalizeValue(value: unknown, column: Column): unknown {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'boolean':
      return Buffer.isBuffer(value) ? value[0] === 1 : Boolean(Number(value));
    case 'timestamp':
      return typeof value === 'string' ? mysqlDateTimeToIso(value) : value;
    case 'integer':
      return typeof value === 'string' && Number.isSafeInteger(Number(value)) ? Number(value) : value;
    case 'float':
      return typeof value === 'string' ? Number(value) : value;
    case 'bytes':
      return Buffer.isBuffer(value) ? value.toString('base64') : value;
    default:
      return value;
  }
}

function normalizeRow(row: Row, spec: ScanSpec): Row {
  for (const column of spec.table.columns) {
    if (column.name in row) row[column.name] = normalizeValue(row[column.name], column);
  }
  return row;
}
