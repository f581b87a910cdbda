import { type Static, Type } from '@sinclair/typebox';
import type { ConnectorRegistry } from '@star/connectors';
import { CatalogKeys, type CatalogRecord, ControlPlaneCodecs, StarError } from '@star/protocol';
import type { Redis } from 'ioredis';
import type { SecretBox } from './secret-box.js';

export const CATALOG_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
/** What the API shows in place of a secret. */
export const MASK = '********';

export const CatalogInput = Type.Object(
  {
    name: Type.String({
      pattern: CATALOG_NAME_PATTERN,
      description: 'letters, digits, `.`, `_`, `-`; 64 at most',
    }),
    type: Type.String({ minLength: 1 }),
    properties: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
  },
  { additionalProperties: false },
);
export type CatalogInput = Static<typeof CatalogInput>;

export type { CatalogRecord };

interface Sealed {
  sealed: string;
}

function isSealed(value: unknown): value is Sealed {
  return typeof value === 'object' && value !== null && typeof (value as Sealed).sealed === 'string';
}

/** Catalog records in Redis: validated on the way in, secrets sealed, masked on the way out. */
export class CatalogStore {
  constructor(
    private readonly redis: Redis,
    private readonly registry: ConnectorRegistry,
    private readonly secrets: SecretBox,
  ) {}

  async create(input: CatalogInput): Promise<CatalogRecord> {
    const properties = this.registry.validateProperties(input.type, input.properties);
    const secretNames = this.registry.secretProperties(input.type);
    for (const name of secretNames) {
      const value = properties[name];
      if (typeof value === 'string' && value !== '') {
        properties[name] = {
          sealed: this.secrets.seal(value, `catalog ${input.name} property ${name}`),
        } satisfies Sealed;
      }
    }
    const record: CatalogRecord = {
      name: input.name,
      type: input.type,
      properties,
      createdAt: new Date().toISOString(),
      version: crypto.randomUUID(),
    };
    const created = await this.redis.hsetnx(
      CatalogKeys.hash,
      input.name,
      ControlPlaneCodecs.catalog.encode(record),
    );
    if (created === 0)
      throw new StarError('Conflict', `catalog "${input.name}" already exists; delete it first`);
    await this.redis.publish(CatalogKeys.channel, input.name);
    return record;
  }

  async get(name: string): Promise<CatalogRecord> {
    const raw = await this.redis.hget(CatalogKeys.hash, name);
    if (raw === null) throw new StarError('NotFound', `no catalog "${name}"`);
    return ControlPlaneCodecs.catalog.decode(raw, `${CatalogKeys.hash}[${name}]`);
  }

  async list(): Promise<CatalogRecord[]> {
    const all = await this.redis.hgetall(CatalogKeys.hash);
    return Object.entries(all)
      .map(([name, raw]) => ControlPlaneCodecs.catalog.decode(raw, `${CatalogKeys.hash}[${name}]`))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async delete(name: string): Promise<void> {
    const removed = await this.redis.hdel(CatalogKeys.hash, name);
    if (removed === 0) throw new StarError('NotFound', `no catalog "${name}"`);
    await this.redis.publish(CatalogKeys.channel, name);
  }

  /** The record's properties with secrets decrypted: only for building its connector, never for an answer. */
  openProperties(record: CatalogRecord): Record<string, unknown> {
    const properties: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(record.properties)) {
      properties[name] = isSealed(value)
        ? this.secrets.open(value.sealed, `catalog ${record.name} property ${name}`)
        : value;
    }
    return properties;
  }

  /** The record as the API shows it: every secret property masked. */
  view(record: CatalogRecord): {
    name: string;
    type: string;
    properties: Record<string, unknown>;
    createdAt: string;
  } {
    const properties: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(record.properties))
      properties[name] = isSealed(value) ? MASK : value;
    return { name: record.name, type: record.type, properties, createdAt: record.createdAt };
  }
}
