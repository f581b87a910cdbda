export { envVarName, loadConfig } from './config/load-config.js';
export { RuntimeConfig } from './config/runtime-config.js';
export { createLogger, defaultInstanceId, type Logger, redactedPaths } from './logging/logger.js';
export { connectRedis, pingRedis } from './redis/redis-connection.js';
export { type HealthCheck, type HealthReport, mountHealth } from './service/health.js';
export { createMetricsRegistry, mountMetrics } from './service/metrics.js';
export { runService, type ServiceContext } from './service/run-service.js';
export { StarService, type StarServiceParams } from './service/star-service.js';
export * from './transport/index.js';
