export { ChainCluster, type ChainClusterOptions, type ChainNode } from './cluster/chain-cluster.js';
export { type RunningService, type ServiceHost, startService } from './cluster/service-launcher.js';
export { redisHostName, StarCluster, type StarClusterOptions } from './cluster/star-cluster.js';
export { MARIADB_INSTALL_HINT, type MariadbServer, startMariadb } from './databases/mariadb-server.js';
export { POSTGRES_INSTALL_HINT, type PostgresServer, startPostgres } from './databases/postgres-server.js';
export { ensureLibfaketime, FakeClock } from './faults/fake-clock.js';
export { cutWalFrames, type WalCut } from './faults/power-loss.js';
export { type KeyClockStep, stepRedisKeyClock } from './faults/redis-key-clock.js';
export { canMountTmpfs, cleanupStaleTmpfs, SizedTmpfs } from './faults/tmpfs.js';
export { freePort, type GetPortOptions } from './free-port.js';
export { waitForHealth } from './health.js';
export * from './linearizability/index.js';
export * from './netlab/index.js';
export { ensureRedisServer, REDIS_INSTALL_HINT } from './redis-binary.js';
export { pingRedis } from './redis-ping.js';
export { redisRole } from './redis-role.js';
export { type RedisServer, type StartRedisOptions, startRedis } from './redis-server.js';
export { findRepoRoot } from './repo-root.js';
export { SentinelTopology, type SentinelTopologyOptions } from './sentinel-topology.js';
export {
  formatExit,
  type ProcessExit,
  type ServiceProcess,
  type StartProcessOptions,
  startProcess,
} from './service-process.js';
export { sleep } from './sleep.js';
export { type ProxyMode, TcpProxy, type TcpProxyOptions, type TcpProxyStats } from './tcp-proxy.js';
export { cleanupTempDirs, defaultTempDirs, type TempDir, TempDirRegistry, tempDir } from './temp-dir.js';
export { type Falsy, type WaitForOptions, waitFor } from './wait-for.js';
