import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { StarError } from '@star/protocol';

/** `redisUrl` → `STAR_REDIS_URL`: the one rule mapping config properties to environment variables. */
export function envVarName(property: string, prefix = 'STAR_'): string {
  return prefix + property.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Environment values are strings; turn them into what the property's schema wants before checking. */
function parseEnvValue(raw: string, schema: TSchema): unknown {
  const type = (schema as { type?: string }).type;
  if (type === 'integer' || type === 'number') return raw.trim() === '' ? raw : Number(raw);
  if (type === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    return raw;
  }
  if (type === 'array' || type === 'object') {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

/**
 * Reads a config object from the environment and checks it against its schema. Every problem is
 * reported at once, each naming the variable, what it must be and what it was, so a bad deployment
 * fails at start-up with one readable message instead of a stack trace later.
 */
export function loadConfig<S extends TObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
  prefix = 'STAR_',
): Static<S> {
  const raw: Record<string, unknown> = {};
  for (const [property, propertySchema] of Object.entries(schema.properties)) {
    const value = env[envVarName(property, prefix)];
    if (value !== undefined) raw[property] = parseEnvValue(value, propertySchema);
  }
  const withDefaults = Value.Default(schema, raw);
  const problems = [...Value.Errors(schema, withDefaults)].map((error) => {
    const property = error.path.split('/')[1] ?? '';
    const variable = envVarName(property, prefix);
    const given = env[variable];
    return `${variable} ${error.message.toLowerCase()}${given === undefined ? ' (not set)' : ` (got ${JSON.stringify(given)})`}`;
  });
  if (problems.length > 0) {
    const unique = [...new Set(problems)];
    throw new StarError('InvalidConfig', `invalid configuration: ${unique.join('; ')}`, { problems: unique });
  }
  return withDefaults as Static<S>;
}
