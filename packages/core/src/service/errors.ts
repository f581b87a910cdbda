import { StarError } from '@star/protocol';
import type { FastifyError, FastifyInstance } from 'fastify';

/**
 * Every error leaves as `{ code, message }` with the status its code maps to: schema violations are
 * 400 naming the field, unknown routes 404, and anything unexpected a logged 500 that hides internals.
 */
export function mountErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | StarError, request, reply) => {
    if (error instanceof StarError) {
      return reply.code(error.status).send(error.toBody());
    }
    if (error.validation) {
      return reply.code(400).send({ code: 'BadRequest', message: error.message });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send({ code: 'Internal', message: 'internal error' });
    }
    const code = status === 413 ? 'PayloadTooLarge' : status === 404 ? 'NotFound' : 'BadRequest';
    return reply.code(status).send({ code, message: error.message });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ code: 'NotFound', message: `no route for ${request.method} ${request.url}` });
  });
}
