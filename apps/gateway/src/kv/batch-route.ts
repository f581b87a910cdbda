import type { Static } from '@sinclair/typebox';
import type { BatchOp, StarClient } from '@star/client';
import { ChainLimits, StarError } from '@star/protocol';
import type { FastifyInstance } from 'fastify';
import { requireNamespaceScope } from '../auth/index.js';
import { publicError } from './http-conditions.js';
import { replyError } from './keys-routes.js';
import { BatchBody, BatchResultBody, ErrorBody, NamespaceParams } from './kv-schemas.js';

type BatchRequest = { Params: { ns: string }; Body: Static<typeof BatchBody> };

/**
 * `POST /v1/namespaces/{ns}/batch`: up to 1,000 operations, each with its own result (not a
 * transaction; operations on one key apply in the order given). The whole request is checked first,
 * so a malformed one is refused before any operation runs.
 */
export async function batchRoute(
  app: FastifyInstance,
  options: { client: StarClient; maxValueBytes: number },
): Promise<void> {
  app.post<BatchRequest>(
    '/v1/namespaces/:ns/batch',
    {
      // A batch of reads needs read access; one that writes needs write access.
      preHandler: requireNamespaceScope((request) =>
        (request.body as Static<typeof BatchBody>).operations.some((operation) => operation.op !== 'get')
          ? 'write'
          : 'read',
      ),
      bodyLimit: 2 * options.maxValueBytes + 16 * 1024 * 1024,
      schema: {
        summary: 'Run up to 1,000 put/get/delete operations, each with its own result',
        params: NamespaceParams,
        body: BatchBody,
        response: { 200: BatchResultBody, 400: ErrorBody, 404: ErrorBody, 413: ErrorBody },
      },
    },
    async (request, reply) => {
      const ops = request.body.operations.map((operation, index) =>
        toClientOp(operation, index, options.maxValueBytes),
      );
      try {
        const outcomes = await options.client.batch(request.params.ns, ops);
        return {
          results: outcomes.map((outcome) => {
            if (!outcome.ok) {
              const error = publicError(outcome.error);
              return { status: error.status, error: error.toBody() };
            }
            const {
              value,
              contentType,
              key: _key,
              ...meta
            } = outcome.result as typeof outcome.result & {
              value?: Uint8Array;
              contentType?: string;
              key?: string;
            };
            return {
              status: 200,
              ...meta,
              ...(value === undefined ? {} : { value: Buffer.from(value).toString('base64') }),
              ...(contentType === undefined ? {} : { contentType }),
            };
          }),
        };
      } catch (error) {
        throw replyError(reply, error);
      }
    },
  );
}

function toClientOp(
  operation: Static<typeof BatchBody>['operations'][number],
  index: number,
  maxValueBytes: number,
): BatchOp {
  const where = `operations[${index}]`;
  if (Buffer.byteLength(operation.key, 'utf8') > ChainLimits.maxKeyBytes)
    throw new StarError('BadRequest', `${where}: key exceeds ${ChainLimits.maxKeyBytes} bytes`);
  const partition = operation.partitionKey === undefined ? {} : { partitionKey: operation.partitionKey };
  switch (operation.op) {
    case 'get':
      return { op: 'get', key: operation.key, options: partition };
    case 'delete':
      return {
        op: 'delete',
        key: operation.key,
        options: {
          ...partition,
          ...(operation.expectedVersion === undefined ? {} : { expectedVersion: operation.expectedVersion }),
        },
      };
    case 'put': {
      const encoding = operation.encoding ?? 'utf8';
      if (encoding === 'base64' && !/^[A-Za-z0-9+/]*={0,2}$/.test(operation.value))
        throw new StarError('BadRequest', `${where}: value is not valid base64`);
      const value = Buffer.from(operation.value, encoding);
      if (value.byteLength > maxValueBytes)
        throw new StarError(
          'PayloadTooLarge',
          `${where}: value of ${value.byteLength} bytes exceeds ${maxValueBytes}`,
        );
      if (operation.createOnly && operation.expectedVersion !== undefined)
        throw new StarError('BadRequest', `${where}: give either expectedVersion or createOnly, not both`);
      return {
        op: 'put',
        key: operation.key,
        value,
        options: {
          ...partition,
          ...(operation.contentType === undefined ? {} : { contentType: operation.contentType }),
          ...(operation.expectedVersion === undefined ? {} : { expectedVersion: operation.expectedVersion }),
          ...(operation.createOnly ? { createOnly: true } : {}),
        },
      };
    }
  }
}
