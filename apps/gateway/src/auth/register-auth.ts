import { ApiKeyStore, apiKeyAuth } from '@star/core';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { adminKeysRoutes } from './admin-keys-routes.js';

/**
 * Turns on API-key auth for the gateway: resolves `request.principal` on every route of `app`
 * (enforced when `adminKey`, i.e. STAR_ADMIN_KEY, is set; every request is an all-scopes anonymous
 * principal otherwise) and serves the admin API under `/v1/admin/keys`. Call it before registering
 * the routes that use `requireNamespaceScope`.
 */
export async function registerAuth(
  app: FastifyInstance,
  options: { redis: Redis; adminKey: string; cacheMs?: number },
): Promise<ApiKeyStore> {
  const store = new ApiKeyStore({
    redis: options.redis,
    ...(options.cacheMs === undefined ? {} : { cacheMs: options.cacheMs }),
  });
  await app.register(apiKeyAuth, { store, adminKey: options.adminKey });
  await app.register(adminKeysRoutes, { store });
  return store;
}
