import type { FastifyInstance } from 'fastify';

/** `GET /status`: shards with their terms, roles, chains, lastSeq and commitSeq. */
export function mountStatus(app: FastifyInstance, status: () => unknown): void {
  app.get('/status', async () => status());
}
