import type { ConnectorMetadata } from '../model/connector.js';
import type { Partition, TableRef, TableSchema, TableStatistics } from '../model/table.js';

interface Entry {
  expiresAt: number;
  value: Promise<unknown>;
}

/**
 * Caches a connector's metadata answers for `ttlMs` (schemas, table lists, statistics are asked for
 * on every query but change rarely). Concurrent misses share one source call; failures are not
 * cached; `refresh()` drops everything (or one table) so the next call asks the source again.
 */
export class MetadataCache implements ConnectorMetadata {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly source: ConnectorMetadata,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  listDatabases(): Promise<string[]> {
    return this.#cached('databases', () => this.source.listDatabases());
  }

  listTables(database: string): Promise<string[]> {
    return this.#cached(`tables\0${database}`, () => this.source.listTables(database));
  }

  getTable(ref: TableRef): Promise<TableSchema> {
    return this.#cached(`table\0${ref.database}\0${ref.table}`, () => this.source.getTable(ref));
  }

  listPartitions(ref: TableRef): Promise<Partition[]> {
    return this.#cached(`partitions\0${ref.database}\0${ref.table}`, () => this.source.listPartitions(ref));
  }

  getStatistics(ref: TableRef): Promise<TableStatistics> {
    return this.#cached(`statistics\0${ref.database}\0${ref.table}`, () => this.source.getStatistics(ref));
  }

  /** Forgets cached answers: all of them, or those about one database or table. */
  refresh(scope?: { database: string; table?: string }): void {
    if (!scope) {
      this.#entries.clear();
      return;
    }
    for (const key of [...this.#entries.keys()]) {
      const parts = key.split('\0');
      const [kind, database, table] = parts;
      if (kind === 'databases') this.#entries.delete(key);
      else if (
        database === scope.database &&
        (scope.table === undefined || table === undefined || table === scope.table)
      )
        this.#entries.delete(key);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  #cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.now();
    const hit = this.#entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value as Promise<T>;
    const value = load();
    const entry = { expiresAt: now + this.ttlMs, value };
    this.#entries.set(key, entry);
    value.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return value;
  }
}
