import { requireScope } from '@star/core';
import { namespaceScope } from '@star/protocol';
import type { FastifyRequest } from 'fastify';

/**
 * The hook a KV route puts in front of its handler: `read:<ns>` (GET, list, watch) or `write:<ns>`
 * (PUT, DELETE, a batch with writes), `<ns>` being the route's `:ns` parameter. `access` may be a
 * function of the request when the body decides (a batch of reads only needs `read`); then use it
 * as a `preHandler` (the body is parsed by then), otherwise as `onRequest` (before any body is read).
 */
export function requireNamespaceScope(
  access: 'read' | 'write' | ((request: FastifyRequest) => 'read' | 'write'),
) {
  return requireScope((request) => {
    const { ns } = request.params as { ns: string };
    return namespaceScope(typeof access === 'function' ? access(request) : access, ns);
  });
}
