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
import type { Column, ColumnType, Row, TableRef, TableSchema } from '../../model/table.js';
import { rowFilter } from '../../predicate/evaluate.js';
import { allOf, type FilterSplit, type Predicate, splitFilter } from '../../predicate/predicate.js';
import { starKeyRange } from './star-key-range.js';
import type { StarRecord, StarScanSource } from './star-scan-source.js';

/** The one database of a `star` catalog: its tables are the cluster's namespaces. */
export const STAR_DATABASE = 'namespaces';

/** Columns of every namespace table (design §2's record). */
export const STAR_COLUMNS: Column[] = [
  { name: 'key', type: 'string', sourceType: 'key', nullable: false },
  { name: 'value', type: 'string', sourceType: 'bytes (UTF-8)', nullable: false },
  { name: 'content_type', type: 'string', sourceType: 'contentType', nullable: true },
  { name: 'version', type: 'integer', sourceType: 'shard seq', nullable: false },
  { name: 'created_at', type: 'timestamp', sourceType: 'epoch ms', nullable: false },
  { name: 'modified_at', type: 'timestamp', sourceType: 'epoch ms', nullable: false },
  { name: 'modifications', type: 'integer', sourceType: 'count', nullable: false },
];

export const StarProperties = Type.Object({
  /** Rows fetched per scan page from the nodes. */
  pageSize: Type.Integer({ minimum: 1, maximum: 10_000, default: 1_000 }),
});
export type StarProperties = Static<typeof StarProperties>;

/**
 * The `star` connector type, bound to the cluster the gateway serves (its shard-aware client): a
 * `star` catalog shows every namespace as a table. Key ranges (prefix, =, <, <=, >, >=) are pushed
 * into the nodes' scans; rows come back in key order, so ORDER BY key and LIMIT are pushed too.
 */
export function starConnectorFactory(source: StarScanSource): ConnectorFactory<typeof StarProperties> {
  return {
    type: 'star',
    description: 'this Star cluster\'s namespaces as tables (database "namespaces")',
    properties: StarProperties,
    create: (properties, context) => new StarConnector(source, properties, context),
  };
}

export class StarConnector implements Connector {
  readonly type = 'star';
  readonly catalog: string;
  readonly #source: StarScanSource;
  readonly #properties: StarProperties;
  readonly #metadata: ConnectorMetadata;

  constructor(source: StarScanSource, properties: StarProperties, context: ConnectorContext) {
    this.#source = source;
    this.#properties = properties;
    this.catalog = context.catalog;
    this.#metadata = {
      listDatabases: async () => [STAR_DATABASE],
      listTables: async (database) => {
        this.#checkDatabase(database);
        return (await this.#source.listNamespaces()).map((namespace) => namespace.name).sort();
      },
      getTable: async (ref) => this.#getTable(ref),
      listPartitions: async (ref) => {
        await this.#getTable(ref);
        return [];
      },
      getStatistics: async (ref) => {
        await this.#getTable(ref);
        const rowCount = await this.#source.countKeys?.(ref.table);
        return {
          ...(rowCount === undefined ? {} : { rowCount }),
          exact: rowCount !== undefined,
          columns: {},
        };
      },
    };
  }

  metadata(): ConnectorMetadata {
    return this.#metadata;
  }

  /** Takes the key terms that narrow the scan's range; everything else stays with the gateway. */
  applyFilter(_table: TableSchema, filter: Predicate): FilterSplit {
    const used = new Set(starKeyRange(filter).used);
    return splitFilter(filter, (term) => used.has(term));
  }

  applyOrderBy(_table: TableSchema, orderBy: OrderKey[]): boolean {
    return (
      this.#source.ordered &&
      orderBy.length === 1 &&
      orderBy[0]!.column === 'key' &&
      orderBy[0]!.direction === 'asc'
    );
  }

  applyLimit(_table: TableSchema, _limit: number): boolean {
    return true;
  }

  async describeScan(spec: ScanSpec): Promise<Record<string, unknown>> {
    const { range, empty } = starKeyRange(spec.filter);
    return {
      namespace: spec.table.table,
      keyRange: empty ? 'empty' : range,
      ...(spec.limit === undefined ? {} : { limit: spec.limit }),
      pageSize: this.#properties.pageSize,
    };
  }

  async *scan(spec: ScanSpec, options: ScanOptions = {}): AsyncGenerator<Row> {
    const { range, empty } = starKeyRange(spec.filter);
    if (empty) return;
    // The range is exact at the nodes; checking the pushed terms again costs little and keeps the
    // result right even where JavaScript's string order and UTF-8 byte order differ.
    const types = new Map<string, ColumnType>(STAR_COLUMNS.map((column) => [column.name, column.type]));
    const keep = spec.filter ? rowFilter(allOf([spec.filter])!, types) : undefined;
    let emitted = 0;
    for await (const record of this.#source.scan({
      namespace: spec.table.table,
      ...range,
      ...(spec.limit === undefined ? {} : { limit: spec.limit }),
      ...(options.signal ? { signal: options.signal } : {}),
    })) {
      const row = toRow(record);
      if (keep && !keep(row)) continue;
      const projected: Row = {};
      for (const column of spec.columns) projected[column] = row[column] ?? null;
      yield projected;
      if (spec.limit !== undefined && ++emitted >= spec.limit) return;
    }
  }

  async health(): Promise<void> {
    await this.#source.health();
  }

  async close(): Promise<void> {}

  #checkDatabase(database: string): void {
    if (database !== STAR_DATABASE)
      throw new StarError(
        'NotFound',
        `catalog ${this.catalog} has no database "${database}" (only "${STAR_DATABASE}")`,
      );
  }

  async #getTable(ref: TableRef): Promise<TableSchema> {
    this.#checkDatabase(ref.database);
    const namespaces = await this.#source.listNamespaces();
    if (!namespaces.some((namespace) => namespace.name === ref.table))
      throw new StarError('NotFound', `catalog ${this.catalog} has no namespace "${ref.table}"`);
    return { database: STAR_DATABASE, table: ref.table, columns: STAR_COLUMNS, partitionColumns: [] };
  }
}

function toRow(record: StarRecord): Row {
  return {
    key: record.key,
    value: Buffer.from(record.value).toString('utf8'),
    content_type: record.contentType ?? null,
    version: record.version,
    created_at: new Date(record.createdAt).toISOString(),
    modified_at: new Date(record.modifiedAt).toISOString(),
    modifications: record.modifications,
  };
}
