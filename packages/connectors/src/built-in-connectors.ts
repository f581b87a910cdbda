import { filesConnectorFactory } from './connectors/files/files-connector.js';
import { mysqlConnectorFactory } from './connectors/mysql/mysql-connector.js';
import { postgresConnectorFactory } from './connectors/postgres/postgres-connector.js';
import { sqliteConnectorFactory } from './connectors/sqlite/sqlite-connector.js';
import type { ConnectorFactory } from './model/connector.js';

/**
 * The connector types that need nothing but their properties. `star` is not among them: it is bound
 * to a cluster (`starConnectorFactory(source)`), which the gateway adds with its own client.
 */
export function builtInConnectorFactories(): ConnectorFactory[] {
  return [
    postgresConnectorFactory,
    mysqlConnectorFactory,
    sqliteConnectorFactory,
    filesConnectorFactory,
  ] as ConnectorFactory[];
}
