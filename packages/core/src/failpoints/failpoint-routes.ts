import { createHash, timingSafeEqual } from 'node:crypto';
import { FailpointRoutes, parseFailpointSpec, parseFailpointTarget, StarError } from '@star/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Failpoints } from './failpoints.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * The internal route that arms failpoints at run time. It accepts only the cluster secret (compared
 * as SHA-256 digests in constant time, so neither content nor length leaks); without a cluster
 * secret configured it refuses everything: a failpoint can crash the process.
 */
export function mountFailpointRoutes(
  app: FastifyInstance,
  registry: Failpoints,
  clusterSecret: string,
): void {
  const expected = clusterSecret === '' ? undefined : digest(clusterSecret);
  const authorize = async (request: FastifyRequest) => {
    if (expected === undefined) {
      throw new StarError('Forbidden', 'failpoints can be armed only when STAR_CLUSTER_SECRET is set');
    }
    const header = request.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (!timingSafeEqual(digest(presented), expected)) {
      throw new StarError('Unauthorized', 'failpoints need the cluster secret');
    }
  };
  const target = (request: FastifyRequest) => {
    try {
      return parseFailpointTarget((request.params as { point: string }).point);
    } catch (error) {
      throw new StarError('BadRequest', (error as Error).message);
    }
  };
  app.register(async (scope) => {
    scope.addHook('onRequest', authorize);
    scope.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) =>
      done(null, body),
    );
    scope.get(FailpointRoutes.prefix, async () => ({ failpoints: registry.list() }));
    scope.put(`${FailpointRoutes.prefix}/:point`, async (request) => {
      const point = target(request);
      const body = typeof request.body === 'string' ? request.body : '';
      let spec: ReturnType<typeof parseFailpointSpec>;
      try {
        spec = parseFailpointSpec(body);
      } catch (error) {
        throw new StarError('BadRequest', (error as Error).message);
      }
      registry.set(point, spec);
      return { failpoints: registry.list() };
    });
    scope.delete(`${FailpointRoutes.prefix}/:point`, async (request) => {
      registry.clear(target(request));
      return { failpoints: registry.list() };
    });
  });
}
