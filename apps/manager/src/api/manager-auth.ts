import { ApiKeyStore, apiKeyAuth, requirePrincipal, requireScope } from '@star/core';
import { FailpointRoutes, StarError } from '@star/protocol';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { dashboardPath } from './queue-dashboard.js';

/** Liveness, metrics and the API description: open to anyone (probes and scrapers carry no key). */
const OPEN_ROUTES = new Set(['/health', '/metrics', '/openapi.json']);
const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * Who may call the manager, once STAR_ADMIN_KEY turns auth on:
 * - every change (POST, PUT, DELETE: namespaces, node drain/remove, runtime settings) needs `admin`;
 * - reads (namespaces, shards, nodes, leader, cluster status and dump, config, the `/v1/assignments`
 *   stream) need a valid key of any scope: the shard map is what any data client routes by, so a
 *   `read:<ns>` key may follow it, but strangers learn nothing about the cluster;
 * - `/health`, `/metrics` and `/openapi.json` stay open;
 * - the failpoint routes (`/internal/failpoints`) check the cluster secret themselves, not a key;
 * - the queue dashboard (`/admin/queues`, where jobs can be retried and removed) needs `admin`, and
 *   also takes the key as the password of HTTP Basic auth, so a browser can open it: a 401 there
 *   asks for Basic credentials (any user name, an admin API key as password).
 * Checked in `onRequest`, before any body is read and before the leader guard answers 421.
 * Call before registering the routes.
 */
export async function installManagerAuth(
  app: FastifyInstance,
  options: { redis: Redis; adminKey: string },
): Promise<void> {
  // Runs before key resolution: Basic credentials become the bearer key they carry.
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header === undefined || !/^basic /i.test(header)) return;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    request.headers.authorization = `Bearer ${decoded.slice(decoded.indexOf(':') + 1)}`;
  });
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
    // The failpoint route checks the cluster secret itself (an API key must not arm a crash).
    if (route === FailpointRoutes.prefix || route.startsWith(`${FailpointRoutes.prefix}/`)) return;
    if (route === dashboardPath || route.startsWith(`${dashboardPath}/`)) {
      try {
        await needsAdmin(request, reply);
      } catch (error) {
        // Answered here: bull-board's own error handler would turn a thrown 401 into a 500.
        const refusal = StarError.from(error);
        return reply
          .code(refusal.status)
          .header('www-authenticate', 'Basic realm="star-manager", charset="UTF-8"')
          .send(refusal.toBody());
      }
      return;
    }
    await (READ_METHODS.has(request.method) ? needsKey : needsAdmin)(request, reply);
  });
}
