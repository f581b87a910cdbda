import { Type } from '@sinclair/typebox';
import type { StarClient } from '@star/client';
import { type ImportRequest, resolveTableRef, tableName } from '@star/connectors';
import { StarError } from '@star/protocol';
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { CatalogConnections } from '../catalogs/catalog-connections.js';
import { type ImportQueue, ImportRequestSchema } from './import-queue.js';

const CatalogParams = Type.Object({ catalog: Type.String({ minLength: 1 }) });
const ImportParams = Type.Object({
  catalog: Type.String({ minLength: 1 }),
  id: Type.String({ minLength: 1 }),
});

/**
 * `POST /v1/catalogs/{catalog}/imports` (202, the job's status; the same `id` again is the same
 * import) and `GET /v1/catalogs/{catalog}/imports/{id}` (state, attempts, rows, bytes, percent).
 */
export async function importRoutes(
  app: FastifyInstance,
  options: {
    imports: ImportQueue;
    connections: CatalogConnections;
    client: StarClient;
    access: onRequestAsyncHookHandler;
  },
): Promise<void> {
  app.post<{ Params: { catalog: string }; Body: ImportRequest }>(
    '/v1/catalogs/:catalog/imports',
    {
      onRequest: options.access,
      schema: {
        summary: 'Import a catalog table into a namespace (a resumable background job)',
        params: CatalogParams,
        body: ImportRequestSchema,
      },
    },
    async (request, reply) => {
      // Refuse at once what no worker could do: an unknown catalog, table, namespace or column.
      const { catalog } = request.params;
      const { source, keyColumn, valueColumn, namespace } = request.body;
      const open = await options.connections.get(catalog);
      const table = await open.metadata.getTable(resolveTableRef(source));
      for (const [what, column] of [
        ['keyColumn', keyColumn],
        ['valueColumn', valueColumn],
      ] as const) {
        if (column !== undefined && !table.columns.some((c) => c.name === column))
          throw new StarError('BadRequest', `${what}: ${tableName(table)} has no column "${column}"`);
      }
      await options.client.shards(namespace);
      const status = await options.imports.enqueue(catalog, request.body);
      return reply.code(202).send(status);
    },
  );
  app.get<{ Params: { catalog: string; id: string } }>(
    '/v1/catalogs/:catalog/imports/:id',
    {
      onRequest: options.access,
      schema: { summary: "An import's state and progress", params: ImportParams },
    },
    async (request) => options.imports.status(request.params.catalog, request.params.id),
  );
}
