export { freePort, type GetPortOptions } from './free-port.js';
export { waitForHealth } from './health.js';
export { ensureRedisServer, REDIS_INSTALL_HINT } from './redis-binary.js';
export { type RedisServer, type StartRedisOptions, startRedis } from './redis-server.js';
export {
  formatExit,
  type ProcessExit,
  type ServiceProcess,
  type StartProcessOptions,
  startProcess,
} from './service-process.js';
export { sleep } from './sleep.js';
export { cleanupTempDirs, defaultTempDirs, type TempDir, TempDirRegistry, tempDir } from './temp-dir.js';
export { type Falsy, type WaitForOptions, waitFor } from './wait-for.js';
