import { Type } from '@sinclair/typebox';
import { CATALOG_NAME_PATTERN } from './catalog-store.js';

export const ErrorBody = Type.Object({
  code: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const CatalogParams = Type.Object({ catalog: Type.String({ pattern: CATALOG_NAME_PATTERN }) });
export const DatabaseParams = Type.Object({
  catalog: Type.String({ pattern: CATALOG_NAME_PATTERN }),
  database: Type.String({ minLength: 1 }),
});
export const TableParams = Type.Object({
  catalog: Type.String({ pattern: CATALOG_NAME_PATTERN }),
  database: Type.String({ minLength: 1 }),
  table: Type.String({ minLength: 1 }),
});

export const CatalogView = Type.Object({
  name: Type.String(),
  type: Type.String(),
  /** Secret properties show as `********`. */
  properties: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String(),
});
