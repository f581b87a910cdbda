import { EventEmitter } from 'node:events';
import { Value } from '@sinclair/typebox/value';
import {
  RuntimeSettings,
  RuntimeSettingsKeys,
  type RuntimeSettingsPatch,
  runtimeSettingDefaults,
} from '@star/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface RuntimeConfigEvents {
  change: [settings: RuntimeSettings, version: number];
}

/**
 * The runtime settings as this process sees them: loaded from the Redis hash at start, reloaded on
 * every pub/sub notice (and re-read after a reconnect, in case a notice was missed). A field that
 * does not validate is ignored with a warning and its default applies: a bad value never stops a
 * service.
 */
export class RuntimeConfig extends EventEmitter<RuntimeConfigEvents> {
  #settings: RuntimeSettings = { ...runtimeSettingDefaults };
  #version = 0;
  readonly #redis: Redis;
  readonly #logger: Logger;
  #subscriber: Redis | undefined;

  constructor(redis: Redis, logger: Logger) {
    super();
    this.#redis = redis;
    this.#logger = logger.child({ component: 'runtime-config' });
  }

  get settings(): RuntimeSettings {
    return this.#settings;
  }

  get version(): number {
    return this.#version;
  }

  /** Subscribes and loads; never waits for Redis, so a service starts (on defaults) while it is down. */
  start(): void {
    const subscriber = this.#redis.duplicate();
    this.#subscriber = subscriber;
    subscriber.on('error', (error) => this.#logger.debug({ err: error }, 'config subscriber error'));
    subscriber.on('message', () => void this.reload());
    // ioredis resubscribes after a reconnect; reloading then catches notices missed while away.
    subscriber.on('ready', () => void this.reload());
    subscriber.subscribe(RuntimeSettingsKeys.channel).catch((error: unknown) => {
      this.#logger.warn({ err: error }, 'config subscription failed; will retry on reconnect');
    });
  }

  async reload(): Promise<void> {
    let raw: Record<string, string>;
    try {
      raw = await this.#redis.hgetall(RuntimeSettingsKeys.hash);
    } catch (error) {
      this.#logger.warn({ err: error }, 'runtime settings not reloaded');
      return;
    }
    const version = Number(raw[RuntimeSettingsKeys.versionField] ?? 0);
    if (version === this.#version && version !== 0) return;
    const candidate: Record<string, unknown> = {};
    for (const [field, text] of Object.entries(raw)) {
      if (field === RuntimeSettingsKeys.versionField) continue;
      try {
        candidate[field] = JSON.parse(text);
      } catch {
        this.#logger.warn({ field }, 'runtime setting is not JSON; ignored');
      }
    }
    const settings: Record<string, unknown> = { ...runtimeSettingDefaults };
    for (const [field, value] of Object.entries(candidate)) {
      const attempt = { ...settings, [field]: value };
      if (Value.Check(RuntimeSettings, attempt)) settings[field] = value;
      else this.#logger.warn({ field, value }, 'invalid runtime setting ignored');
    }
    this.#settings = settings as RuntimeSettings;
    this.#version = version;
    this.#logger.info({ version, settings }, 'runtime settings loaded');
    this.emit('change', this.#settings, version);
  }

  /** Validates and stores a change, then tells every service (the manager API calls this). */
  static async publish(redis: Redis, patch: RuntimeSettingsPatch): Promise<number> {
    const fields = Object.entries(patch).flatMap(([field, value]) => [field, JSON.stringify(value)]);
    const [, [, version]] = (await redis
      .multi()
      .hset(RuntimeSettingsKeys.hash, ...fields)
      .hincrby(RuntimeSettingsKeys.hash, RuntimeSettingsKeys.versionField, 1)
      .exec()) as [[null, number], [null, number]];
    await redis.publish(RuntimeSettingsKeys.channel, String(version));
    return version;
  }

  stop(): void {
    this.#subscriber?.disconnect();
  }
}
