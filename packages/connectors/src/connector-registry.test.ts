import { describe, expect, it } from 'vitest';
import { ConnectorRegistry } from './connector-registry.js';
import { mysqlConnectorFactory } from './connectors/mysql/mysql-connector.js';
import { postgresConnectorFactory } from './connectors/postgres/postgres-connector.js';

const registry = new ConnectorRegistry([postgresConnectorFactory, mysqlConnectorFactory]);

describe('ConnectorRegistry', () => {
  it('applies defaults and names secret properties', () => {
    expect(
      registry.validateProperties('postgres', { host: 'h', database: 'd', user: 'u', password: 'p' }),
    ).toMatchObject({
      port: 5432,
      poolMax: 10,
      password: 'p',
    });
    expect(registry.secretProperties('postgres')).toEqual(['password']);
  });

  it('names a bad, missing or unknown property, never echoing a secret', () => {
    expect(() =>
      registry.validateProperties('postgres', { host: 'h', database: 'd', user: 'u', port: 'x' }),
    ).toThrow(/property "port" expected integer \(got "x"\)/);
    expect(() => registry.validateProperties('postgres', { host: 'h', database: 'd' })).toThrow(
      /property "user" .*\(missing\)/,
    );
    expect(() =>
      registry.validateProperties('postgres', { host: 'h', database: 'd', user: 'u', hots: 1 }),
    ).toThrow(/unknown postgres catalog property "hots"/);
    const secret = 12345;
    try {
      registry.validateProperties('postgres', { host: 'h', database: 'd', user: 'u', password: secret });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/property "password" .*\(got \*\*\*\)/);
      expect((error as Error).message).not.toContain(String(secret));
    }
  });

  it('rejects an unknown type listing the known ones', () => {
    expect(() => registry.factory('oracle')).toThrow(
      /unknown connector type "oracle"; known types: postgres, mysql/,
    );
  });
});
