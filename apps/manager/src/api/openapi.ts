import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

/**
 * OpenAPI from the routes' own JSON schemas (registered before the routes, so it sees them all),
 * served at `/openapi.json`.
 */
export async function openApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'star-manager',
        description:
          'Namespaces, shards, chains, nodes, cluster status and runtime settings of a Star cluster',
        version: '0.1.0',
      },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
