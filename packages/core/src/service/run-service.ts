import { type Static, type TObject, Type } from '@sinclair/typebox';
import { ServiceConfig, type ServiceName, StarError } from '@star/protocol';
import type { Redis } from 'ioredis';
import { loadConfig } from '../config/load-config.js';
import { RuntimeConfig } from '../config/runtime-config.js';
import { failpoints, mountFailpointRoutes } from '../failpoints/index.js';
import { PrimaryWatch } from '../redis/primary-watch.js';
import { connectRedis, pingRedis } from '../redis/redis-connection.js';
import { type ReplicaAckPolicy, replicaAckPolicy } from '../redis/replica-ack.js';
import { StarService } from './star-service.js';

export interface ServiceContext<C> {
  service: StarService;
  config: C;
  redis: Redis;
  /** Fires when the control plane's primary is another Redis than before (failover, restart). */
  primary: PrimaryWatch;
  /** How many Redis replicas must hold a journal append or fencing increment (WAIT). */
  replicaAcks: ReplicaAckPolicy;
  /** Cluster-wide settings that change at run time (reloaded on every change notice). */
  runtime: RuntimeConfig;
}

/**
 * What a service's `main.ts` calls: load and check config (exit 1 with the variable named when it is
 * bad), build the skeleton, connect the control plane, let the service wire its parts, listen, and
 * handle signals. A service's own settings extend the common ones through `settings`.
 */
export async function runService<S extends TObject = TObject<Record<string, never>>>(params: {
  service: ServiceName;
  settings?: S;
  http?: { maxParamLength?: number };
  wire?: (context: ServiceContext<ServiceConfig & Static<S>>) => Promise<void> | void;
  /** Runs once the server listens, with its bound address (port 0 resolved). */
  listening?: (
    context: ServiceContext<ServiceConfig & Static<S>>,
    address: { host: string; port: number; url: string },
  ) => Promise<void> | void;
}): Promise<ServiceContext<ServiceConfig & Static<S>>> {
  let config: ServiceConfig & Static<S>;
  try {
    const schema = Type.Composite([ServiceConfig, params.settings ?? Type.Object({})]);
    config = loadConfig(schema) as ServiceConfig & Static<S>;
  } catch (error) {
    const starError = StarError.from(error);
    process.stderr.write(
      `${JSON.stringify({ level: 'fatal', service: params.service, code: starError.code, msg: starError.message })}\n`,
    );
    process.exit(1);
  }
  const service = new StarService({
    service: params.service,
    config,
    ...(params.http === undefined ? {} : { http: params.http }),
  });
  armFailpoints(service, config);
  const redis = connectRedis(
    { url: config.redisUrl, sentinels: config.redisSentinels, master: config.redisMaster },
    service.logger,
  );
  const primary = new PrimaryWatch(redis, service.logger.child({ component: 'redis' }));
  const replicaAcks = replicaAckPolicy(config);
  service.addHealthCheck('redis', () => pingRedis(redis));
  service.onShutdown('redis', () => redis.quit().catch(() => redis.disconnect()));
  const runtime = new RuntimeConfig(redis, service.logger);
  runtime.start();
  service.onShutdown('runtime-config', () => runtime.stop());
  service.app.get('/runtime-config', async () => ({ version: runtime.version, settings: runtime.settings }));
  const context = { service, config, redis, primary, replicaAcks, runtime };
  await params.wire?.(context);
  service.installSignalHandlers();
  const address = await service.start();
  await params.listening?.(context, address);
  return context;
}

/** Arms `STAR_FAILPOINTS` (exit 1 on a bad list), logs every firing, mounts the internal route. */
function armFailpoints(service: StarService, config: ServiceConfig): void {
  try {
    failpoints.load(config.failpoints);
  } catch (error) {
    service.logger.fatal({ code: 'InvalidConfig' }, `STAR_FAILPOINTS: ${(error as Error).message}`);
    process.exit(1);
  }
  if (failpoints.armed) service.logger.warn({ failpoints: failpoints.list() }, 'failpoints armed');
  failpoints.onFire = (point, spec) => service.logger.warn({ point, spec }, 'failpoint fired');
  mountFailpointRoutes(service.app, failpoints, config.clusterSecret);
}
