import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type ApiKeyInfo,
  ApiKeyKeys,
  ControlPlaneCodecs,
  type CreateApiKeyRequest,
  type CreatedApiKey,
  isScope,
  type Principal,
  StarError,
  type StoredApiKey,
} from '@star/protocol';
import type { Redis } from 'ioredis';

/** What Redis holds per key: the listing plus the hash of the secret (never the secret). */

const KEY_PREFIX = 'star_';
const ID_BYTES = 8;
const SECRET_BYTES = 32;
/** `star_<16 hex>_<43 base64url>`; the secret's alphabet includes `_`, so the id is parsed first. */
const KEY_FORMAT = /^star_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/**
 * SHA-256, not a slow password hash (bcrypt, scrypt): a secret is 32 random bytes (256 bits), so no
 * dictionary or brute force over the hash can find it, and a fast hash keeps the check on every
 * request at microseconds instead of the ~100 ms a password hash deliberately costs.
 */
export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * API keys kept in one Redis hash (`star:apikeys`), shared by every gateway and manager. A key is
 * `star_<id>_<secret>`: the id finds the record in one HGET, the secret is checked against its hash
 * in constant time. Records are cached for `cacheMs` so the hot path rarely waits on Redis; a
 * revoke through this store drops the cache at once, another process's cache within `cacheMs`.
 */
export class ApiKeyStore {
  readonly #redis: Redis;
  readonly #cacheMs: number;
  readonly #cache = new Map<string, { record: StoredApiKey | undefined; until: number }>();

  constructor(options: { redis: Redis; cacheMs?: number }) {
    this.#redis = options.redis;
    this.#cacheMs = options.cacheMs ?? 1_000;
  }

  /** Creates a key; the answer is the only place its plaintext ever appears. */
  async create(request: CreateApiKeyRequest): Promise<CreatedApiKey> {
    const name = typeof request.name === 'string' ? request.name.trim() : '';
    if (name === '' || name.length > 128)
      throw new StarError('BadRequest', 'name must be 1 to 128 characters');
    if (!Array.isArray(request.scopes) || request.scopes.length === 0)
      throw new StarError('BadRequest', 'scopes must list at least one scope');
    const invalid = request.scopes.find((scope) => !isScope(scope));
    if (invalid !== undefined)
      throw new StarError('BadRequest', `invalid scope ${JSON.stringify(invalid)}`, { scope: invalid });

    const secret = randomBytes(SECRET_BYTES).toString('base64url');
    for (;;) {
      const id = randomBytes(ID_BYTES).toString('hex');
      const info: ApiKeyInfo = {
        id,
        name,
        scopes: [...new Set(request.scopes)],
        createdAt: new Date().toISOString(),
      };
      const record: StoredApiKey = { ...info, secretSha256: sha256(secret).toString('hex') };
      // HSETNX: a (2^-64-unlikely) id collision picks another id rather than replacing a key.
      if ((await this.#redis.hsetnx(ApiKeyKeys.hash, id, ControlPlaneCodecs.apiKey.encode(record))) === 1) {
        return { ...info, key: `${KEY_PREFIX}${id}_${secret}` };
      }
    }
  }

  /** Every key, oldest first, without secrets. */
  async list(): Promise<ApiKeyInfo[]> {
    const all = await this.#redis.hgetall(ApiKeyKeys.hash);
    return Object.entries(all)
      .map(([id, json]) => toInfo(ControlPlaneCodecs.apiKey.decode(json, `${ApiKeyKeys.hash}[${id}]`)))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Revokes a key for good; an unknown id is NotFound (so a typo is not mistaken for success). */
  async revoke(id: string): Promise<void> {
    const removed = await this.#redis.hdel(ApiKeyKeys.hash, id);
    this.#cache.delete(id);
    if (removed === 0) throw new StarError('NotFound', `no API key ${id}`);
  }

  /** The principal a presented key stands for, or undefined when it is malformed, unknown or revoked. */
  async verify(key: string): Promise<Principal | undefined> {
    const match = KEY_FORMAT.exec(key);
    if (match === null) return undefined;
    const [, id, secret] = match as unknown as [string, string, string];
    const record = await this.#record(id);
    if (record === undefined) return undefined;
    const expected = Buffer.from(record.secretSha256, 'hex');
    const presented = sha256(secret);
    if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) return undefined;
    return { keyId: record.id, name: record.name, scopes: record.scopes };
  }

  async #record(id: string): Promise<StoredApiKey | undefined> {
    const now = Date.now();
    const cached = this.#cache.get(id);
    if (cached !== undefined && cached.until > now) return cached.record;
    const json = await this.#redis.hget(ApiKeyKeys.hash, id);
    const record =
      json === null ? undefined : ControlPlaneCodecs.apiKey.decode(json, `${ApiKeyKeys.hash}[${id}]`);
    if (this.#cacheMs > 0) {
      // Unknown ids are cached too, so a flood of made-up keys costs one lookup per id per period;
      // the map is bounded by dropping everything when it grows past what real keys could fill.
      if (this.#cache.size >= 10_000) this.#cache.clear();
      this.#cache.set(id, { record, until: now + this.#cacheMs });
    }
    return record;
  }
}

function toInfo(record: StoredApiKey): ApiKeyInfo {
  return { id: record.id, name: record.name, scopes: record.scopes, createdAt: record.createdAt };
}
