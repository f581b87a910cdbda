import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { CatalogAccess } from './catalog-access.js';
import type { CatalogConnections } from './catalog-connections.js';
import { CatalogParams, CatalogView, DatabaseParams, ErrorBody, TableParams } from './catalog-schemas.js';
import { CatalogInput, type CatalogStore } from './catalog-store.js';

export interface CatalogRoutesOptions {
  store: CatalogStore;
  connections: CatalogConnections;
  access: CatalogAccess;
  /** Connector types and what they are, for `GET /v1/catalog-types`. */
  types: { type: string; description: string }[];
}

/** Catalog management (`/v1/catalogs`), health, and metadata discovery of a catalog's source. */
export async function catalogRoutes(app: FastifyInstance, options: CatalogRoutesOptions): Promise<void> {
  const { store, connections, access } = options;

  app.get(
    '/v1/catalog-types',
    { onRequest: access.manage, schema: { summary: 'Connector types' } },
    async () => ({
      types: options.types,
    }),
  );

  app.post<{ Body: CatalogInput }>(
    '/v1/catalogs',
    {
      onRequest: access.manage,
      schema: {
        summary: 'Add a catalog (name, connector type, properties); secrets are encrypted at rest',
        body: CatalogInput,
        response: { 201: CatalogView, 400: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const record = await store.create(request.body);
      request.log.info({ catalog: record.name, type: record.type }, 'catalog created');
      return reply.code(201).send(store.view(record));
    },
  );

  app.get(
    '/v1/catalogs',
    {
      onRequest: access.manage,
      schema: {
        summary: 'All catalogs (secrets masked)',
        response: { 200: Type.Object({ catalogs: Type.Array(CatalogView) }) },
      },
    },
    async () => ({ catalogs: (await store.list()).map((record) => store.view(record)) }),
  );

  app.get<{ Params: { catalog: string } }>(
    '/v1/catalogs/:catalog',
    {
      onRequest: access.manage,
      schema: { params: CatalogParams, response: { 200: CatalogView, 404: ErrorBody } },
    },
    async (request) => store.view(await store.get(request.params.catalog)),
  );

  app.delete<{ Params: { catalog: string } }>(
    '/v1/catalogs/:catalog',
    { onRequest: access.manage, schema: { params: CatalogParams, response: { 404: ErrorBody } } },
    async (request, reply) => {
      await store.delete(request.params.catalog);
      await connections.close(request.params.catalog);
      request.log.info({ catalog: request.params.catalog }, 'catalog deleted');
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { catalog: string } }>(
    '/v1/catalogs/:catalog/health',
    {
      onRequest: access.read,
      schema: { summary: 'Whether the source answers (502 with its error otherwise)', params: CatalogParams },
    },
    async (request) => {
      const open = await connections.get(request.params.catalog);
      const started = performance.now();
      await open.connector.health();
      return {
        catalog: open.record.name,
        type: open.record.type,
        status: 'ok',
        latencyMs: Math.round(performance.now() - started),
      };
    },
  );

  app.post<{ Params: { catalog: string } }>(
    '/v1/catalogs/:catalog/refresh',
    {
      onRequest: access.read,
      schema: { summary: "Drop the catalog's cached metadata", params: CatalogParams },
    },
    async (request) => {
      const open = await connections.get(request.params.catalog);
      open.metadata.refresh();
      return { catalog: open.record.name, refreshed: true };
    },
  );

  app.get<{ Params: { catalog: string } }>(
    '/v1/catalogs/:catalog/databases',
    { onRequest: access.read, schema: { params: CatalogParams } },
    async (request) => {
      const open = await connections.get(request.params.catalog);
      return { databases: await open.metadata.listDatabases() };
    },
  );

  app.get<{ Params: { catalog: string; database: string } }>(
    '/v1/catalogs/:catalog/databases/:database/tables',
    { onRequest: access.read, schema: { params: DatabaseParams } },
    async (request) => {
      const open = await connections.get(request.params.catalog);
      return { tables: await open.metadata.listTables(request.params.database) };
    },
  );

  app.get<{ Params: { catalog: string; database: string; table: string } }>(
    '/v1/catalogs/:catalog/databases/:database/tables/:table',
    {
      onRequest: access.read,
      schema: { summary: 'A table: schema, partitions, statistics', params: TableParams },
    },
    async (request) => {
      const { database, table } = request.params;
      const open = await connections.get(request.params.catalog);
      const ref = { database, table };
      const schema = await open.metadata.getTable(ref);
      const [partitions, statistics] = await Promise.all([
        open.metadata.listPartitions(ref),
        open.metadata.getStatistics(ref),
      ]);
      return { ...schema, partitions, statistics };
    },
  );
}
