import { ApiKeyStore, apiKeyAuth, requirePrincipal, requireScope } from '@star/core';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';

/** Liveness, metrics and the API description: open to anyone (probes and scrapers carry no key). */
const OPEN_ROUTES = new Set(['/health', '/metrics', '/openapi.json']);
const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * Who may call the manager, once STAR_ADMIN_KEY turns auth on:
 * - every change (POST, PUT, DELETE: namespaces, node drain/remove, runtime settings) needs `admin`;
 * - reads (namespaces, shards, nodes, leader, cluster status and dump, config, the `/v1/assignments`
 *   stream) need a valid key of any scope: the shard map is what any data client routes by, so a
 *   `read:<ns>` key may follow it, but strangers learn nothing about the cluster;
 * - `/health`, `/metrics` and `/openapi.json` stay open.
 * Checked in `onRequest`, before any body is read and before the leader guard answers 421.
 * Call before registering the routes.
 */
export async function installManagerAuth(
  app: FastifyInstance,
  options: { redis: Redis; adminKey: string },
): Promise<void> {
  await app.register(apiKeyAuth, {
    store: new ApiKeyStore({ redis: options.redis }),
    adminKey: options.adminKey,
  });
  const needsAdmin = requireScope(() => 'admin');
  const needsKey = requirePrincipal();
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    // No route: the not-found handler answers 404 without revealing anything.
    if (route === undefined || OPEN_ROUTES.has(route)) return;
    await (READ_METHODS.has(request.method) ? needsKey : needsAdmin)(request, reply);
  });
}
