import { filesConnectorFactory } from './connectors/files/files-connector.js';
import { mysqlConnectorFactory } from './connectors/mysql/mysql-connector.js';
import { postgresConnectorFactory } from './connectors/postgres/postgres-connector.js';
import { sqliteConnectorFactory } from './connectors/sqlite/sqlite-connector.js';
import type { ConnectorFactory } from './model/connector.js';

/** The connector types this package implements (`star` joins once the gateway's KV scan API exists). */
export function builtInConnectorFactories(): ConnectorFactory[] {
  return [
    postgresConnectorFactory,
    mysqlConnectorFactory,
    sqliteConnectorFactory,
    filesConnectorFactory,
  ] as ConnectorFactory[];
}
