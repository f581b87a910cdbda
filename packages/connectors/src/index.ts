export { ConnectorRegistry } from './connector-registry.js';
export {
  PostgresConnector,
  PostgresProperties,
  postgresConnectorFactory,
} from './connectors/postgres/postgres-connector.js';
export { executeScan, rowOrder } from './engine/scan-executor.js';
export { explainScan, planScan, type ScanPlan } from './engine/scan-planner.js';
export { resolveTableRef, ScanQuery } from './engine/scan-query.js';
export { MetadataCache } from './metadata/metadata-cache.js';
export type * from './model/connector.js';
export * from './model/table.js';
export { checkPredicate } from './predicate/check-predicate.js';
export { evaluate, rowFilter } from './predicate/evaluate.js';
export * from './predicate/predicate.js';
export { maskSecrets, sourceError } from './source/source-errors.js';
