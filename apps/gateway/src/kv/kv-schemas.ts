import { Type } from '@sinclair/typebox';
import { KvLimits, Namespace } from '@star/protocol';

export const NamespaceParams = Type.Object({ ns: Namespace.properties.name });

export const KeyParams = Type.Object({
  ns: Namespace.properties.name,
  key: Type.String({ minLength: 1, description: 'the key, percent-encoded as one path segment' }),
});

export const PartitionQuery = Type.Object({
  partitionKey: Type.Optional(
    Type.String({ minLength: 1, description: 'hash this instead of the key to pick the shard' }),
  ),
});

export const WriteResultBody = Type.Object({
  version: Type.Integer(),
  createdAt: Type.Integer(),
  modifiedAt: Type.Integer(),
  modifications: Type.Integer(),
});

export const ErrorBody = Type.Object({
  code: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const ListQuery = Type.Object({
  prefix: Type.Optional(Type.String()),
  start: Type.Optional(Type.String({ description: 'keys >= start' })),
  end: Type.Optional(Type.String({ description: 'keys < end' })),
  limit: Type.Integer({ minimum: 1, maximum: KvLimits.maxScanLimit, default: 100 }),
  cursor: Type.Optional(Type.String({ description: 'from the previous page' })),
  values: Type.Boolean({ default: false, description: 'include values (base64)' }),
});

export const ListedKey = Type.Object({
  key: Type.String(),
  version: Type.Integer(),
  createdAt: Type.Integer(),
  modifiedAt: Type.Integer(),
  modifications: Type.Integer(),
  value: Type.Optional(Type.String({ description: 'base64' })),
  contentType: Type.Optional(Type.String()),
});

export const ListResponse = Type.Object({
  keys: Type.Array(ListedKey),
  cursor: Type.Optional(Type.String({ description: 'present when more keys follow' })),
});

const Encoding = Type.Union([Type.Literal('utf8'), Type.Literal('base64')], {
  description: 'how `value` is encoded (default utf8)',
});

export const BatchOperation = Type.Union([
  Type.Object({
    op: Type.Literal('put'),
    key: Type.String({ minLength: 1 }),
    value: Type.String(),
    encoding: Type.Optional(Encoding),
    contentType: Type.Optional(Type.String({ maxLength: 256 })),
    expectedVersion: Type.Optional(Type.Integer({ minimum: 0 })),
    createOnly: Type.Optional(Type.Boolean()),
    partitionKey: Type.Optional(Type.String({ minLength: 1 })),
  }),
  Type.Object({
    op: Type.Literal('get'),
    key: Type.String({ minLength: 1 }),
    partitionKey: Type.Optional(Type.String({ minLength: 1 })),
  }),
  Type.Object({
    op: Type.Literal('delete'),
    key: Type.String({ minLength: 1 }),
    expectedVersion: Type.Optional(Type.Integer({ minimum: 0 })),
    partitionKey: Type.Optional(Type.String({ minLength: 1 })),
  }),
]);

export const BatchBody = Type.Object({
  operations: Type.Array(BatchOperation, { minItems: 1, maxItems: KvLimits.maxBatchOps }),
});

export const BatchResultBody = Type.Object({
  results: Type.Array(
    Type.Object({
      status: Type.Integer({ description: 'the HTTP status this operation alone would get' }),
      version: Type.Optional(Type.Integer()),
      createdAt: Type.Optional(Type.Integer()),
      modifiedAt: Type.Optional(Type.Integer()),
      modifications: Type.Optional(Type.Integer()),
      value: Type.Optional(Type.String({ description: 'base64, for get' })),
      contentType: Type.Optional(Type.String()),
      error: Type.Optional(ErrorBody),
    }),
  ),
});
