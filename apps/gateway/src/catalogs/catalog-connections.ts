import { type Connector, type ConnectorRegistry, MetadataCache } from '@star/connectors';
import type { Logger } from '@star/core';
import { CatalogKeys } from '@star/protocol';
import type { Redis } from 'ioredis';
import type { CatalogRecord, CatalogStore } from './catalog-store.js';

/** An open catalog: its connector (holding the source's pool) and its metadata cache. */
export interface OpenCatalog {
  record: CatalogRecord;
  connector: Connector;
  metadata: MetadataCache;
}

/**
 * The connectors this gateway has open, one per catalog, built on first use from the stored record.
 * A change notice from any gateway (create, delete) closes the local one, so a re-created catalog is
 * reopened with its new properties and a deleted one releases its pool everywhere.
 */
export class CatalogConnections {
  readonly #open = new Map<string, Promise<OpenCatalog>>();
  #subscriber: Redis | undefined;

  constructor(
    private readonly params: {
      store: CatalogStore;
      registry: ConnectorRegistry;
      metadataTtlMs: number;
      logger: Logger;
      onRetry?: (catalog: string) => void;
    },
  ) {}

  /** Subscribes to change notices on a connection of its own (a subscribed connection can do nothing else). */
  async start(redis: Redis): Promise<void> {
    const subscriber = redis.duplicate();
    subscriber.on('error', (error) =>
      this.params.logger.warn({ err: error }, 'catalog change subscription error'),
    );
    subscriber.on('message', (_channel: string, name: string) => {
      void this.close(name);
    });
    await subscriber.subscribe(CatalogKeys.channel);
    this.#subscriber = subscriber;
  }

  async get(name: string): Promise<OpenCatalog> {
    const existing = this.#open.get(name);
    if (existing) return existing;
    const opening = this.#openCatalog(name);
    this.#open.set(name, opening);
    opening.catch(() => {
      if (this.#open.get(name) === opening) this.#open.delete(name);
    });
    return opening;
  }

  /** Closes a catalog's connector (its pool) if this gateway has it open. */
  async close(name: string): Promise<void> {
    const open = this.#open.get(name);
    if (!open) return;
    this.#open.delete(name);
    try {
      await (await open).connector.close();
      this.params.logger.info({ catalog: name }, 'catalog connection closed');
    } catch {
      // It never opened, or closing failed: either way nothing is left to release here.
    }
  }

  get openCount(): number {
    return this.#open.size;
  }

  async stop(): Promise<void> {
    await this.#subscriber?.quit().catch(() => this.#subscriber?.disconnect());
    await Promise.all([...this.#open.keys()].map((name) => this.close(name)));
  }

  async #openCatalog(name: string): Promise<OpenCatalog> {
    const { store, registry, logger } = this.params;
    const record = await store.get(name);
    const connector = registry.create(record.type, store.openProperties(record), {
      catalog: name,
      onRetry: ({ attempt, error }) => {
        // The connector masks its secrets in `error` before it gets here.
        logger.warn({ catalog: name, attempt, error }, 'retrying a source call after a transient error');
        this.params.onRetry?.(name);
      },
    });
    logger.info({ catalog: name, type: record.type }, 'catalog connection opened');
    return {
      record,
      connector,
      metadata: new MetadataCache(connector.metadata(), this.params.metadataTtlMs),
    };
  }
}
