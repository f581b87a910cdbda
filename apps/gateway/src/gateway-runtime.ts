import { StarClient } from '@star/client';
import { builtInConnectorFactories, ConnectorRegistry, starConnectorFactory } from '@star/connectors';
import type { ServiceContext } from '@star/core';
import type { ServiceConfig } from '@star/protocol';
import { catalogAccess } from './auth/catalog-access.js';
import { registerAuth } from './auth/index.js';
import { clientScanSource } from './catalogs/client-scan-source.js';
import { catalogsPlugin } from './catalogs/index.js';
import { openApi } from './docs/openapi.js';
import { type GatewaySettings, managerUrls } from './gateway-settings.js';
import { batchRoute } from './kv/batch-route.js';
import { keysRoutes } from './kv/keys-routes.js';
import { listRoute } from './kv/list-route.js';
import { watchRoute } from './watch/watch-route.js';

/**
 * Wires the gateway: API keys, a StarClient that follows the shard map and links to nodes, the KV
 * routes, the watch socket and OpenAPI at `/docs` (request metrics come with the service skeleton).
 * The client connects in the background, so the gateway starts (and reports itself unhealthy) while
 * the managers are still coming up.
 */
export async function wireGateway({
  service,
  config,
  redis,
}: ServiceContext<ServiceConfig & GatewaySettings>): Promise<void> {
  const client = StarClient.create({
    managers: managerUrls(config),
    ...(config.clusterSecret ? { clusterSecret: config.clusterSecret } : {}),
    ...(config.adminKey ? { apiKey: config.adminKey } : {}),
    clientName: `gateway-${service.instanceId}`,
    lingerMs: config.lingerMs,
    requestTimeoutMs: config.kvTimeoutMs,
  });
  service.onShutdown('star-client', () => client.close());
  service.addHealthCheck('shard-map', async () => {
    if (client.follower.map.version === '') throw new Error('no shard map from the managers yet');
    return { mapVersion: client.follower.map.version };
  });
  await openApi(service.app);
  // API keys and the admin-keys routes first: every KV route below checks the caller's scope.
  await registerAuth(service.app, { redis, adminKey: config.adminKey });
  const routes = { client, maxValueBytes: config.maxValueBytes };
  await service.app.register(async (app) => {
    await app.register(keysRoutes, routes);
    await app.register(listRoute, routes);
    await app.register(batchRoute, routes);
    await app.register(watchRoute, { ...routes, bufferBytes: config.watchBufferBytes });
  });
  // BullMQ's blocking commands need a connection of their own that never gives up on a request.
  // duplicate() keeps the control plane's target (a URL or the sentinels), so it follows failovers.
  const bullConnection = redis.duplicate({ maxRetriesPerRequest: null });
  bullConnection.on('error', (error) => service.logger.warn({ err: error }, 'import queue connection error'));
  service.onShutdown('import-queue-redis', () =>
    bullConnection.quit().catch(() => bullConnection.disconnect()),
  );
  await service.app.register(catalogsPlugin, {
    redis,
    settings: config,
    metrics: service.metrics,
    access: catalogAccess,
    registry: new ConnectorRegistry([
      ...builtInConnectorFactories(),
      starConnectorFactory(clientScanSource(client)),
    ]),
    imports: { client, connection: bullConnection, lockDurationMs: config.importLockMs },
  });
}
