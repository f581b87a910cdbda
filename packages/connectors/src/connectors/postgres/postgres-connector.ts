import { type Static, Type } from '@sinclair/typebox';
import { StarError } from '@star/protocol';
import pg from 'pg';
import Cursor from 'pg-cursor';
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
import { postgresDialect } from './postgres-dialect.js';
import { isTransientPostgresError, postgresColumnType, postgresTypeParsers } from './postgres-types.js';

export const PostgresProperties = Type.Object({
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 5432 }),
  database: Type.String({ minLength: 1 }),
  user: Type.String({ minLength: 1 }),
  password: Type.String({ secret: true, default: '' }),
  ssl: Type.Boolean({ default: false }),
  /** Connections this catalog may hold open at once (per gateway). */
  poolMax: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  /** An idle pooled connection is closed after this long. */
  idleTimeoutMs: Type.Integer({ minimum: 1_000, default: 30_000 }),
  connectTimeoutMs: Type.Integer({ minimum: 100, default: 5_000 }),
  /** Server-side limit on one statement (0: none). */
  statementTimeoutMs: Type.Integer({ minimum: 0, default: 0 }),
  /** Rows fetched per cursor round trip while streaming. */
  fetchSize: Type.Integer({ minimum: 1, maximum: 100_000, default: 1_000 }),
});
export type PostgresProperties = Static<typeof PostgresProperties>;

const SYSTEM_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast'];

/** PostgreSQL: databases are the schemas of the configured database. */
export const postgresConnectorFactory: ConnectorFactory<typeof PostgresProperties> = {
  type: 'postgres',
  description: 'PostgreSQL (node-postgres); databases are the schemas of one PostgreSQL database',
  properties: PostgresProperties,
  create: (properties, context) => new PostgresConnector(properties, context),
};

export class PostgresConnector extends SqlPushdown implements Connector {
  readonly type = 'postgres';
  readonly catalog: string;
  readonly #pool: pg.Pool;
  readonly #secrets: string[];
  readonly #metadata: ConnectorMetadata;

  constructor(
    private readonly properties: PostgresProperties,
    private readonly context: ConnectorContext,
  ) {
    super(postgresDialect);
    this.catalog = context.catalog;
    this.#secrets = [properties.password];
    this.#pool = new pg.Pool({
      host: properties.host,
      port: properties.port,
      database: properties.database,
      user: properties.user,
      password: properties.password,
      ssl: properties.ssl,
      max: properties.poolMax,
      idleTimeoutMillis: properties.idleTimeoutMs,
      connectionTimeoutMillis: properties.connectTimeoutMs,
      ...(properties.statementTimeoutMs > 0 ? { statement_timeout: properties.statementTimeoutMs } : {}),
      application_name: `star-catalog-${context.catalog}`.slice(0, 63),
      types: postgresTypeParsers,
    });
    // An idle client losing its server must not crash the gateway; the next checkout reconnects.
    this.#pool.on('error', () => {});
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
    return { ...this.selectFor(spec) };
  }

  async *scan(spec: ScanSpec, options: ScanOptions = {}): AsyncGenerator<Row> {
    const { sql, params } = this.selectFor(spec);
    const client = await this.#run(() => this.#pool.connect());
    let released = false;
    const release = (error?: Error) => {
      if (!released) {
        released = true;
        client.release(error);
      }
    };
    const onAbort = () => release(new Error('scan aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const cursor = client.query(new Cursor(sql, params));
    let failure: Error | undefined;
    try {
      for (;;) {
        const batch = await cursor.read(this.properties.fetchSize);
        if (batch.length === 0) break;
        for (const row of batch) yield normalizeRow(row as Row, spec);
      }
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      throw sourceError(this.catalog, error, this.#secrets);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      // Stopped early (limit reached, client gone): close the portal so the connection is clean again.
      if (!failure && !released) await cursor.close().catch((error: Error) => (failure = error));
      // A failed connection is discarded rather than returned to the pool.
      release(failure);
    }
  }

  async health(): Promise<void> {
    await this.#query('SELECT 1', []);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  protected tableSql(ref: TableRef): string {
    return `${postgresDialect.quoteIdentifier(ref.database)}.${postgresDialect.quoteIdentifier(ref.table)}`;
  }

  async #run<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await withSourceRetry(this.context, this.#secrets, isTransientPostgresError, call);
    } catch (error) {
      throw sourceError(this.catalog, error, this.#secrets);
    }
  }

  async #query(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    const result = await this.#run(() => this.#pool.query(sql, params));
    return result.rows as Record<string, unknown>[];
  }

  async #listDatabases(): Promise<string[]> {
    const rows = await this.#query(
      `SELECT schema_name FROM information_schema.schemata
       WHERE schema_name <> ALL($1::text[]) AND schema_name NOT LIKE 'pg\\_temp\\_%' AND schema_name NOT LIKE 'pg\\_toast\\_temp\\_%'
       ORDER BY schema_name`,
      [SYSTEM_SCHEMAS],
    );
    return rows.map((row) => String(row.schema_name));
  }

  async #listTables(database: string): Promise<string[]> {
    const rows = await this.#query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [database],
    );
    if (rows.length === 0 && !(await this.#listDatabases()).includes(database)) {
      throw new StarError('NotFound', `catalog ${this.catalog} has no database "${database}"`);
    }
    return rows.map((row) => String(row.table_name));
  }

  async #getTable(ref: TableRef): Promise<TableSchema> {
    const rows = await this.#query(
      `SELECT column_name, udt_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
      [ref.database, ref.table],
    );
    if (rows.length === 0) {
      throw new StarError('NotFound', `catalog ${this.catalog} has no table ${ref.database}.${ref.table}`);
    }
    const columns: Column[] = rows.map((row) => ({
      name: String(row.column_name),
      type: postgresColumnType(String(row.udt_name)),
      sourceType: String(
        row.data_type === 'USER-DEFINED' || row.data_type === 'ARRAY' ? row.udt_name : row.data_type,
      ),
      nullable: row.is_nullable === 'YES',
    }));
    return { ...ref, columns, partitionColumns: [] };
  }

  /** Declarative partitions: each child table with its bound (`FOR VALUES FROM (...) TO (...)`). */
  async #listPartitions(ref: TableRef): Promise<Partition[]> {
    await this.#getTable(ref);
    const rows = await this.#query(
      `SELECT child_ns.nspname AS schema_name, child.relname AS name,
              pg_get_expr(child.relpartbound, child.oid) AS bound, child.reltuples AS estimated_rows
       FROM pg_inherits i
       JOIN pg_class parent ON parent.oid = i.inhparent
       JOIN pg_namespace parent_ns ON parent_ns.oid = parent.relnamespace
       JOIN pg_class child ON child.oid = i.inhrelid
       JOIN pg_namespace child_ns ON child_ns.oid = child.relnamespace
       WHERE parent_ns.nspname = $1 AND parent.relname = $2
       ORDER BY child.relname`,
      [ref.database, ref.table],
    );
    return rows.map((row) => ({
      values: { partition: String(row.name), bound: String(row.bound) },
      location: `${row.schema_name}.${row.name}`,
      ...(Number(row.estimated_rows) >= 0 ? { rowCount: Number(row.estimated_rows) } : {}),
    }));
  }

  /**
   * Exact row count, null counts, min and max from one aggregate query; distinct counts are
   * PostgreSQL's own estimates from pg_stats (present once the table has been analyzed).
   */
  async #getStatistics(ref: TableRef): Promise<TableStatistics> {
    const schema = await this.#getTable(ref);
    const [aggregate] = await this.#query(statisticsQuery(postgresDialect, this.tableSql(ref), schema), []);
    const { rowCount, columns } = readStatistics(schema, aggregate ?? {}, (value) => value);
    const estimates = await this.#query(
      `SELECT attname, n_distinct FROM pg_stats WHERE schemaname = $1 AND tablename = $2`,
      [ref.database, ref.table],
    );
    for (const estimate of estimates) {
      const stats = columns[String(estimate.attname)];
      const nDistinct = Number(estimate.n_distinct);
      // Negative n_distinct is a fraction of the rows (-1: all distinct).
      if (stats) stats.distinctCount = Math.round(nDistinct >= 0 ? nDistinct : -nDistinct * rowCount);
    }
    return { rowCount, exact: true, columns };
  }
}

function normalizeRow(row: Row, spec: ScanSpec): Row {
  for (const name of spec.columns) {
    const value = row[name];
    if (Buffer.isBuffer(value)) row[name] = value.toString('base64');
    else if (value instanceof Date) row[name] = value.toISOString();
  }
  return row;
}
