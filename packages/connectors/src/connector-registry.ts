import type { TObject, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { StarError } from '@star/protocol';
import type { Connector, ConnectorContext, ConnectorFactory } from './model/connector.js';

/** The connector types a gateway knows, by name; checks catalog properties against each type's schema. */
export class ConnectorRegistry {
  readonly #factories = new Map<string, ConnectorFactory>();

  constructor(factories: ConnectorFactory[] = []) {
    for (const factory of factories) this.register(factory);
  }

  register(factory: ConnectorFactory): this {
    this.#factories.set(factory.type, factory);
    return this;
  }

  types(): { type: string; description: string }[] {
    return [...this.#factories.values()].map(({ type, description }) => ({ type, description }));
  }

  factory(type: string): ConnectorFactory {
    const factory = this.#factories.get(type);
    if (!factory) {
      throw new StarError(
        'BadRequest',
        `unknown connector type "${type}"; known types: ${[...this.#factories.keys()].join(', ')}`,
        { type },
      );
    }
    return factory;
  }

  /**
   * Checks properties against the type's schema and returns them with defaults applied. Every
   * problem is named: `property "port" must be integer (got "x")`, `unknown property "hots"`.
   */
  validateProperties(type: string, properties: unknown): Record<string, unknown> {
    const schema = this.factory(type).properties;
    if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
      throw new StarError('BadRequest', `catalog properties must be an object`);
    }
    const unknown = Object.keys(properties).filter((name) => !Object.hasOwn(schema.properties, name));
    if (unknown.length > 0) {
      throw new StarError(
        'BadRequest',
        `unknown ${type} catalog ${unknown.length === 1 ? 'property' : 'properties'} ${unknown.map((n) => `"${n}"`).join(', ')}; allowed: ${Object.keys(schema.properties).join(', ')}`,
        { properties: unknown },
      );
    }
    const withDefaults = Value.Default(schema, structuredClone(properties)) as Record<string, unknown>;
    const problems = [...Value.Errors(schema, withDefaults)].map((error) => {
      const name = error.path.split('/')[1] ?? '';
      const given = withDefaults[name];
      const shown =
        given === undefined
          ? 'missing'
          : secretNames(schema).includes(name)
            ? 'got ***'
            : `got ${JSON.stringify(given)}`;
      return `property "${name}" ${error.message.toLowerCase()} (${shown})`;
    });
    if (problems.length > 0) {
      const unique = [...new Set(problems)];
      throw new StarError('BadRequest', `invalid ${type} catalog properties: ${unique.join('; ')}`, {
        problems: unique,
      });
    }
    return withDefaults;
  }

  /** Names of the type's properties marked `{ secret: true }`. */
  secretProperties(type: string): string[] {
    return secretNames(this.factory(type).properties);
  }

  create(type: string, properties: unknown, context: ConnectorContext): Connector {
    const valid = this.validateProperties(type, properties);
    return this.factory(type).create(valid, context);
  }
}

function secretNames(schema: TObject): string[] {
  return Object.entries(schema.properties as Record<string, TSchema>)
    .filter(([, property]) => (property as { secret?: unknown }).secret === true)
    .map(([name]) => name);
}
