import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * OpenAPI from the routes' own JSON schemas (registered before the routes, so it sees them all):
 * the document at `/docs/json`, a browsable UI at `/docs`.
 */
export async function openApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'star-gateway',
        description: 'Key-value API of a Star cluster: keys, listing, batches and watches',
        version: '0.1.0',
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
