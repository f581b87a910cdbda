export * from './auth/index.js';
export { envVarName, loadConfig } from './config/load-config.js';
export { RuntimeConfig } from './config/runtime-config.js';
export * from './failpoints/index.js';
export { ImageArea, ImageStore, type StoredFile, sha256Of } from './image-store/image-store.js';
export { ImageWriter } from './image-store/image-writer.js';
export { ShardSnapshots, shardSnapshotName } from './image-store/shard-snapshots.js';
export { createLogger, defaultInstanceId, type Logger, redactedPaths } from './logging/logger.js';
export { type PrimaryChange, PrimaryWatch } from './redis/primary-watch.js';
export { connectRedis, pingRedis } from './redis/redis-connection.js';
export {
  describeRedisTarget,
  parseSentinels,
  type RedisTarget,
  redisTargetOptions,
} from './redis/redis-target.js';
export {
  isReplicaAckError,
  NO_REPLICA_ACKS,
  ReplicaAckError,
  type ReplicaAckPolicy,
  replicaAckPolicy,
  withReplicaAck,
} from './redis/replica-ack.js';
export { type HealthCheck, type HealthReport, mountHealth } from './service/health.js';
export { createMetricsRegistry, mountMetrics } from './service/metrics.js';
export { runService, type ServiceContext } from './service/run-service.js';
export { StarService, type StarServiceParams } from './service/star-service.js';
export * from './transport/index.js';
