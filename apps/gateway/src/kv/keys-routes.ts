import type { StarClient } from '@star/client';
import type { StarError } from '@star/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { requireNamespaceScope } from '../auth/index.js';
import { deleteConditions, etagOf, parseVersionTag, publicError, putConditions } from './http-conditions.js';
import { ErrorBody, KeyParams, PartitionQuery, WriteResultBody } from './kv-schemas.js';

export interface KeysRoutesOptions {
  client: StarClient;
  maxValueBytes: number;
}

type KeyRequest = { Params: { ns: string; key: string }; Querystring: { partitionKey?: string } };

/**
 * Single-key routes: `PUT`, `GET`, `DELETE /v1/namespaces/{ns}/keys/{key}`. Values travel as raw
 * bytes with their content type; versions as ETags; `If-Match` / `If-None-Match: *` are the
 * conditions. Bodies of any content type are taken as bytes here (this plugin's own parser).
 */
export async function keysRoutes(app: FastifyInstance, options: KeysRoutesOptions): Promise<void> {
  const { client } = options;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: options.maxValueBytes },
    (_request, body, done) => done(null, body),
  );

  const errors = { 400: ErrorBody, 404: ErrorBody, 412: ErrorBody, 413: ErrorBody, 503: ErrorBody };

  app.put<KeyRequest>(
    '/v1/namespaces/:ns/keys/:key',
    {
      onRequest: requireNamespaceScope('write'),
      bodyLimit: options.maxValueBytes,
      schema: {
        summary: 'Write a value (raw bytes; its Content-Type is kept)',
        description:
          'If-Match: "<version>" writes only over that version; If-None-Match: * only creates. Answers the new version as ETag.',
        params: KeyParams,
        querystring: PartitionQuery,
        response: { 200: WriteResultBody, ...errors },
      },
    },
    async (request, reply) => {
      const value =
        request.body === undefined || request.body === null ? Buffer.alloc(0) : (request.body as Buffer);
      const contentType = request.headers['content-type'];
      try {
        const result = await client.put(request.params.ns, request.params.key, value, {
          ...putConditions(request.headers),
          ...(contentType === undefined ? {} : { contentType }),
          ...(request.query.partitionKey === undefined ? {} : { partitionKey: request.query.partitionKey }),
        });
        reply.header('etag', etagOf(result.version));
        return result;
      } catch (error) {
        throw replyError(reply, error);
      }
    },
  );

  app.get<KeyRequest>(
    '/v1/namespaces/:ns/keys/:key',
    {
      onRequest: requireNamespaceScope('read'),
      schema: {
        summary: 'Read a value: the bytes with their Content-Type, ETag and X-Star-Version',
        description: 'If-None-Match: "<version>" answers 304 when the value is still at that version.',
        params: KeyParams,
        querystring: PartitionQuery,
        response: { 400: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      try {
        const record = await client.get(request.params.ns, request.params.key, {
          ...(request.query.partitionKey === undefined ? {} : { partitionKey: request.query.partitionKey }),
        });
        reply
          .header('etag', etagOf(record.version))
          .header('x-star-version', String(record.version))
          .header('x-star-created-at', String(record.createdAt))
          .header('x-star-modified-at', String(record.modifiedAt))
          .header('x-star-modifications', String(record.modifications))
          .type(record.contentType ?? 'application/octet-stream');
        const ifNoneMatch = request.headers['if-none-match'];
        if (typeof ifNoneMatch === 'string' && ifNoneMatch.trim() !== '*') {
          if (parseVersionTag(ifNoneMatch, 'If-None-Match') === record.version) return reply.code(304).send();
        }
        return reply.send(Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength));
      } catch (error) {
        throw replyError(reply, error);
      }
    },
  );

  app.delete<KeyRequest>(
    '/v1/namespaces/:ns/keys/:key',
    {
      onRequest: requireNamespaceScope('write'),
      schema: {
        summary: 'Delete a key (If-Match: "<version>" deletes only that version)',
        params: KeyParams,
        querystring: PartitionQuery,
        response: { 204: { type: 'null' }, ...errors },
      },
    },
    async (request, reply) => {
      try {
        await client.delete(request.params.ns, request.params.key, {
          ...deleteConditions(request.headers),
          ...(request.query.partitionKey === undefined ? {} : { partitionKey: request.query.partitionKey }),
        });
        return reply.code(204).send();
      } catch (error) {
        throw replyError(reply, error);
      }
    },
  );
}

/** The public form of an error; a 503 tells the caller when to try again. */
export function replyError(reply: FastifyReply, error: unknown): StarError {
  const star = publicError(error);
  if (star.status === 503) reply.header('retry-after', '1');
  return star;
}
