import { type Static, Type } from '@sinclair/typebox';
import { StarError } from '@star/protocol';
import type { TableRef } from '../model/table.js';
import { Predicate } from '../predicate/predicate.js';

/** A scan of one table as a JSON query (what `POST /v1/catalogs/{c}/query` takes besides SQL). */
export const ScanQuery = Type.Object(
  {
    /** The database (schema); may be omitted when `table` is written `database.table`. */
    database: Type.Optional(Type.String({ minLength: 1 })),
    table: Type.String({ minLength: 1 }),
    /** Columns to return, in this order; all columns when omitted. */
    columns: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    filter: Type.Optional(Predicate),
    orderBy: Type.Optional(
      Type.Array(
        Type.Object(
          {
            column: Type.String({ minLength: 1 }),
            direction: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type ScanQuery = Static<typeof ScanQuery>;

/** `{database, table}` from a query: an explicit database, or `database.table` in the table name. */
export function resolveTableRef(query: Pick<ScanQuery, 'database' | 'table'>): TableRef {
  if (query.database !== undefined) return { database: query.database, table: query.table };
  const dot = query.table.indexOf('.');
  if (dot <= 0 || dot === query.table.length - 1) {
    throw new StarError(
      'BadRequest',
      `table "${query.table}" needs its database: give "database" or write database.table`,
    );
  }
  return { database: query.table.slice(0, dot), table: query.table.slice(dot + 1) };
}
