import { type Static, Type } from '@sinclair/typebox';
import { ChainLimits } from '@star/protocol';
import { CatalogSettings } from './catalogs/catalog-settings.js';

/** The gateway's own settings, read from `STAR_*` like every service setting. */
export const GatewaySettings = Type.Object({
  /** Comma-separated manager URLs (`http://host:port`); the shard map is followed from any of them. */
  managers: Type.String({ minLength: 1, default: 'http://127.0.0.1:7000' }),
  /** Largest value a PUT may carry (the nodes' limit should be the same); 413 beyond. */
  maxValueBytes: Type.Integer({ minimum: 1, default: ChainLimits.defaultMaxValueBytes }),
  /** Linger of the client's automatic batching towards nodes, in ms. */
  lingerMs: Type.Integer({ minimum: 0, default: 0 }),
  /** Deadline of one KV call including retries (a node failure is retried within it). */
  kvTimeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
  /** How long an import job's lock lasts: a gateway that dies mid-import is replaced after about this long. */
  importLockMs: Type.Integer({ minimum: 500, default: 30_000 }),
  /** Bytes a watch socket may have queued before the gateway drops it (the watcher resumes by cursor). */
  watchBufferBytes: Type.Integer({ minimum: 1024, default: 8 * 1024 * 1024 }),
  /** Catalogs (connectors): secret key, metadata cache TTL, JSON answer size. */
  ...CatalogSettings.properties,
});
export type GatewaySettings = Static<typeof GatewaySettings>;

export function managerUrls(settings: GatewaySettings): string[] {
  return settings.managers
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url.length > 0);
}
