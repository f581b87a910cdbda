import { Type } from '@sinclair/typebox';
import { ServiceConfig, StarError } from '@star/protocol';
import { describe, expect, it } from 'vitest';
import { envVarName, loadConfig } from './load-config.js';

describe('loadConfig', () => {
  it('maps camelCase properties to STAR_ variables', () => {
    expect(envVarName('redisUrl')).toBe('STAR_REDIS_URL');
    expect(envVarName('shutdownTimeoutMs')).toBe('STAR_SHUTDOWN_TIMEOUT_MS');
    expect(envVarName('port')).toBe('STAR_PORT');
  });

  it('fills defaults and converts numbers', () => {
    const config = loadConfig(ServiceConfig, { STAR_PORT: '7001', STAR_REDIS_URL: 'redis://10.0.0.1:6380' });
    expect(config.port).toBe(7001);
    expect(config.redisUrl).toBe('redis://10.0.0.1:6380');
    expect(config.host).toBe('127.0.0.1');
    expect(config.logLevel).toBe('info');
  });

  it('names every bad variable and what it was given, in one error', () => {
    try {
      loadConfig(ServiceConfig, { STAR_PORT: 'abc', STAR_LOG_LEVEL: 'loud', STAR_REDIS_URL: 'http://x' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(StarError);
      const starError = error as StarError;
      expect(starError.code).toBe('InvalidConfig');
      expect(starError.message).toMatch(/STAR_PORT .*\(got "abc"\)/);
      expect(starError.message).toMatch(/STAR_LOG_LEVEL .*\(got "loud"\)/);
      expect(starError.message).toMatch(/STAR_REDIS_URL .*\(got "http:\/\/x"\)/);
    }
  });

  it('rejects out-of-range numbers and missing required values', () => {
    const schema = Type.Object({
      shards: Type.Integer({ minimum: 1 }),
      dataDir: Type.String({ minLength: 1 }),
    });
    expect(() => loadConfig(schema, { STAR_SHARDS: '0' })).toThrow(
      /STAR_SHARDS .*greater or equal to 1.*got "0"/,
    );
    expect(() => loadConfig(schema, { STAR_SHARDS: '2' })).toThrow(/STAR_DATA_DIR .*\(not set\)/);
  });

  it('parses booleans leniently and refuses anything else', () => {
    const schema = Type.Object({ balance: Type.Boolean({ default: true }) });
    expect(loadConfig(schema, { STAR_BALANCE: 'off' }).balance).toBe(false);
    expect(loadConfig(schema, {}).balance).toBe(true);
    expect(() => loadConfig(schema, { STAR_BALANCE: 'maybe' })).toThrow(/STAR_BALANCE/);
  });
});
