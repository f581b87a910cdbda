import type { StarClient } from '@star/client';
import type { FastifyInstance } from 'fastify';
import { requireNamespaceScope } from '../auth/index.js';
import { replyError } from './keys-routes.js';
import { ErrorBody, ListQuery, ListResponse, NamespaceParams } from './kv-schemas.js';

type ListRequest = {
  Params: { ns: string };
  Querystring: {
    prefix?: string;
    start?: string;
    end?: string;
    limit: number;
    cursor?: string;
    values: boolean;
  };
};

/** `GET /v1/namespaces/{ns}/keys`: keys in key order across all shards, a page at a time. */
export async function listRoute(app: FastifyInstance, options: { client: StarClient }): Promise<void> {
  app.get<ListRequest>(
    '/v1/namespaces/:ns/keys',
    {
      onRequest: requireNamespaceScope('read'),
      schema: {
        summary: 'List keys (and values) by prefix or range, in key order, with an opaque cursor',
        params: NamespaceParams,
        querystring: ListQuery,
        response: { 200: ListResponse, 400: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { prefix, start, end, limit, cursor, values } = request.query;
      try {
        const page = await options.client.list(request.params.ns, {
          limit,
          values,
          ...(prefix === undefined ? {} : { prefix }),
          ...(start === undefined ? {} : { start }),
          ...(end === undefined ? {} : { end }),
          ...(cursor === undefined ? {} : { cursor }),
        });
        return {
          keys: page.records.map(({ value, ...record }) => ({
            ...record,
            ...(value === undefined ? {} : { value: Buffer.from(value).toString('base64') }),
          })),
          ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
        };
      } catch (error) {
        throw replyError(reply, error);
      }
    },
  );
}
