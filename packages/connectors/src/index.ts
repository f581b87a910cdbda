export { builtInConnectorFactories } from './built-in-connectors.js';
export { ConnectorRegistry } from './connector-registry.js';
export {
  FilesConnector,
  FilesProperties,
  filesConnectorFactory,
} from './connectors/files/files-connector.js';
export {
  MysqlConnector,
  MysqlProperties,
  mysqlConnectorFactory,
} from './connectors/mysql/mysql-connector.js';
export {
  PostgresConnector,
  PostgresProperties,
  postgresConnectorFactory,
} from './connectors/postgres/postgres-connector.js';
export {
  SqliteConnector,
  SqliteProperties,
  sqliteConnectorFactory,
} from './connectors/sqlite/sqlite-connector.js';
export {
  STAR_COLUMNS,
  STAR_DATABASE,
  StarConnector,
  StarProperties,
  starConnectorFactory,
} from './connectors/star/star-connector.js';
export { starKeyRange } from './connectors/star/star-key-range.js';
export * from './connectors/star/star-scan-source.js';
export { executeScan, rowOrder } from './engine/scan-executor.js';
export { explainScan, planScan, type ScanPlan } from './engine/scan-planner.js';
export { resolveTableRef, ScanQuery } from './engine/scan-query.js';
export * from './import/import-job.js';
export { MetadataCache } from './metadata/metadata-cache.js';
export type * from './model/connector.js';
export * from './model/table.js';
export { checkPredicate } from './predicate/check-predicate.js';
export { evaluate, rowFilter } from './predicate/evaluate.js';
export * from './predicate/predicate.js';
export { maskSecrets, sourceError } from './source/source-errors.js';
export { DEFAULT_RETRY } from './source/source-retry.js';
export { parseSelect } from './sql/sql-select.js';
