import { Type } from '@sinclair/typebox';

/** The gateway settings of the catalogs feature (spread into GatewaySettings; read from `STAR_*`). */
export const CatalogSettings = Type.Object({
  /**
   * STAR_CATALOG_SECRET_KEY: the key catalog secrets (passwords) are encrypted with at rest, the same
   * on every gateway (any string of 32+ characters; a random 32-byte base64 string is best). Without
   * it, catalogs whose properties hold a secret are refused.
   */
  catalogSecretKey: Type.String({ default: '' }),
  /** How long a catalog's metadata (databases, tables, schemas, statistics) is cached. */
  catalogMetadataTtlMs: Type.Integer({ minimum: 0, default: 60_000 }),
  /** Rows a JSON (non-streamed) query answer may hold; NDJSON streams have no such limit. */
  catalogJsonMaxRows: Type.Integer({ minimum: 1, default: 100_000 }),
});
