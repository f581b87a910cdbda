import { once } from 'node:events';
import { RuntimeConfig } from '@star/core';
import { RuntimeSettingsKeys } from '@star/protocol';
import { type RedisServer, startRedis } from '@star/testkit';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

describe('RuntimeConfig', () => {
  it('starts on defaults, then follows every published change, ignoring invalid fields', async () => {
    const config = new RuntimeConfig(redis.client(), pino({ level: 'silent' }));
    config.start();
    await once(config, 'change');
    expect(config.settings).toMatchObject({ balance: true, membershipCheckMs: 250 });

    const changed = once(config, 'change');
    const version = await RuntimeConfig.publish(redis.client(), { balance: false, membershipCheckMs: 500 });
    const [settings, seen] = await changed;
    expect(seen).toBe(version);
    expect(settings).toMatchObject({ balance: false, membershipCheckMs: 500 });

    // A bad value written behind the API's back is ignored, the rest still applies.
    await redis
      .client()
      .hset(RuntimeSettingsKeys.hash, 'membershipCheckMs', '"soon"', 'requestTimeoutMs', '2000');
    await redis.client().hincrby(RuntimeSettingsKeys.hash, RuntimeSettingsKeys.versionField, 1);
    const again = once(config, 'change');
    await redis.client().publish(RuntimeSettingsKeys.channel, 'x');
    const [next] = await again;
    expect(next).toMatchObject({ balance: false, membershipCheckMs: 250, requestTimeoutMs: 2000 });
    config.stop();
  });
});
