import type { FastifyReply, FastifyRequest } from 'fastify';

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * The authorization hooks of the catalog routes (run `onRequest`, before any body is read):
 * `manage` guards creating, listing and deleting catalogs; `read` guards metadata, health and
 * queries of one catalog (`request.params.catalog`). The gateway's wiring passes its API-key
 * scope checks; left out, the routes are open (tests, auth-less dev clusters).
 */
export interface CatalogAccess {
  manage: Hook;
  read: Hook;
}

export const OPEN_ACCESS: CatalogAccess = {
  manage: async () => {},
  read: async () => {},
};
