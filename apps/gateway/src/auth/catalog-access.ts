import { requireScope } from '@star/core';
import type { CatalogAccess } from '../catalogs/index.js';

/**
 * Scopes for the catalog routes. There is no per-catalog scope yet, so both managing catalogs and
 * reading through them (metadata, health, queries) need `admin`; `read` is the place to put a
 * per-catalog scope (`request.params.catalog`) when the scope grammar gets one.
 */
export const catalogAccess: CatalogAccess = {
  manage: requireScope(() => 'admin'),
  read: requireScope(() => 'admin'),
};
