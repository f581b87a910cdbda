import type { StarClient } from '@star/client';
import { builtInConnectorFactories, ConnectorRegistry } from '@star/connectors';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import { ImportQueue } from '../imports/import-queue.js';
import { importRoutes } from '../imports/import-routes.js';
import { ImportWorker } from '../imports/import-worker.js';
import { type CatalogAccess, OPEN_ACCESS } from './catalog-access.js';
import { CatalogConnections } from './catalog-connections.js';
import { catalogRoutes } from './catalog-routes.js';
import { CatalogStore } from './catalog-store.js';
import { queryRoutes } from './query-routes.js';
import { SecretBox } from './secret-box.js';

export interface CatalogsPluginOptions {
  /** The control plane, where catalogs are stored and change notices travel. */
  redis: Redis;
  settings: { catalogSecretKey: string; catalogMetadataTtlMs: number; catalogJsonMaxRows: number };
  /** Authorization hooks (API-key scopes); open when left out. */
  access?: CatalogAccess;
  /** Where the catalog metrics go (the service's registry). */
  metrics?: Registry;
  /** Connector types; the built-in ones by default. */
  registry?: ConnectorRegistry;
  /** Imports of catalog tables into namespaces: the client that writes them and a BullMQ connection. */
  imports?: { client: StarClient; connection: Redis; lockDurationMs: number };
}

/**
 * The connectors feature of the gateway as one encapsulated plugin: catalogs stored in Redis
 * (secrets sealed with AES-GCM), one connector and metadata cache per catalog and gateway, catalog
 * and metadata routes, and the query route. Closing the app closes every catalog's pool.
 */
export async function catalogsPlugin(app: FastifyInstance, options: CatalogsPluginOptions): Promise<void> {
  const registry = options.registry ?? new ConnectorRegistry(builtInConnectorFactories());
  const store = new CatalogStore(options.redis, registry, new SecretBox(options.settings.catalogSecretKey));
  const queries = options.metrics
    ? new Counter({
        name: 'star_catalog_queries_total',
        help: 'Catalog queries by catalog and outcome',
        labelNames: ['catalog', 'outcome'],
        registers: [options.metrics],
      })
    : undefined;
  const retries = options.metrics
    ? new Counter({
        name: 'star_catalog_source_retries_total',
        help: 'Source calls retried after a transient error, by catalog',
        labelNames: ['catalog'],
        registers: [options.metrics],
      })
    : undefined;
  const connections = new CatalogConnections({
    store,
    registry,
    metadataTtlMs: options.settings.catalogMetadataTtlMs,
    logger: app.log as never,
    onRetry: (catalog) => retries?.inc({ catalog }),
  });
  await connections.start(options.redis);
  app.addHook('onClose', async () => connections.stop());
  const access = options.access ?? OPEN_ACCESS;
  await app.register(catalogRoutes, { store, connections, access, types: registry.types() });
  await app.register(queryRoutes, {
    connections,
    access,
    jsonMaxRows: options.settings.catalogJsonMaxRows,
    onQuery: (catalog, outcome) => queries?.inc({ catalog, outcome }),
  });
  if (options.imports) {
    const imports = new ImportQueue(options.imports.connection);
    const worker = new ImportWorker({
      connection: options.imports.connection,
      connections,
      client: options.imports.client,
      logger: app.log as never,
      lockDurationMs: options.imports.lockDurationMs,
    });
    app.addHook('onClose', async () => {
      await worker.close();
      await imports.close();
    });
    await app.register(importRoutes, {
      imports,
      connections,
      client: options.imports.client,
      access: access.manage,
    });
  }
}
