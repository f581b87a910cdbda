import { Type } from '@sinclair/typebox';
import { type ApiKeyStore, requireScope } from '@star/core';
import { ApiKeyId, ApiKeyList, CreateApiKeyRequest, CreatedApiKey } from '@star/protocol';
import type { FastifyInstance } from 'fastify';

const ErrorReply = Type.Object({
  code: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
const authErrors = { 401: ErrorReply, 403: ErrorReply };

/**
 * The admin API for API keys, every route needing `admin`: create (the answer is the only time the
 * plaintext key is shown), list (never secrets: the response schema drops anything else), revoke.
 * Encapsulated; needs `apiKeyAuth` registered in a parent scope.
 */
export async function adminKeysRoutes(app: FastifyInstance, options: { store: ApiKeyStore }): Promise<void> {
  const { store } = options;
  app.addHook(
    'onRequest',
    requireScope(() => 'admin'),
  );

  app.post(
    '/v1/admin/keys',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create an API key; its plaintext is in this answer only',
        body: CreateApiKeyRequest,
        response: { 201: CreatedApiKey, 400: ErrorReply, ...authErrors },
      },
    },
    async (request, reply) => {
      const created = await store.create(request.body as CreateApiKeyRequest);
      request.log.info(
        { keyId: created.id, name: created.name, scopes: created.scopes, by: request.principal?.keyId },
        'API key created',
      );
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/v1/admin/keys',
    {
      schema: {
        tags: ['admin'],
        summary: 'List API keys (ids, names, scopes; never secrets)',
        response: { 200: ApiKeyList, ...authErrors },
      },
    },
    async () => ({ keys: await store.list() }),
  );

  app.delete(
    '/v1/admin/keys/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Revoke an API key: it is refused from then on',
        params: Type.Object({ id: ApiKeyId }),
        response: { 400: ErrorReply, 404: ErrorReply, ...authErrors },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      await store.revoke(id);
      request.log.info({ keyId: id, by: request.principal?.keyId }, 'API key revoked');
      return reply.code(204).send();
    },
  );
}
