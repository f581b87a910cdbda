import { describe, expect, it } from 'vitest';
import { describeRedisTarget, parseSentinels, redisTargetOptions } from './redis-target.js';
import { replicaAckPolicy } from './replica-ack.js';

describe('Redis targets', () => {
  it('parses a sentinel list and refuses a bad entry with a typed error', () => {
    expect(parseSentinels('')).toEqual([]);
    expect(parseSentinels('127.0.0.1:26379, h2:26380')).toEqual([
      { host: '127.0.0.1', port: 26379 },
      { host: 'h2', port: 26380 },
    ]);
    expect(() => parseSentinels('h1:26379,h2')).toThrow(/STAR_REDIS_SENTINELS: not host:port/);
    expect(() => parseSentinels('h1:99999')).toThrow(expect.objectContaining({ code: 'InvalidConfig' }));
  });

  it('passes the URL through without sentinels, and only its password and db with them', () => {
    expect(redisTargetOptions({ url: 'redis://127.0.0.1:6379' })).toEqual({
      url: 'redis://127.0.0.1:6379',
      options: {},
    });
    const { url, options } = redisTargetOptions({
      url: 'redis://:s3cret@ignored:1/2',
      sentinels: 'a:1,b:2',
      master: 'prod',
    });
    expect(url).toBeUndefined();
    expect(options).toMatchObject({ name: 'prod', role: 'master', password: 's3cret', db: 2 });
    expect(options.sentinels).toEqual([
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
    ]);
  });

  it('describes a target for logs without its password', () => {
    expect(describeRedisTarget({ url: 'redis://:s3cret@h:6379' })).toBe('redis://h:6379');
    const described = describeRedisTarget({ url: 'redis://:s3cret@h:6379', sentinels: 'a:1', master: 'm' });
    expect(described).toBe('sentinel master m via a:1');
    expect(described).not.toContain('s3cret');
  });

  it('waits for one replica by default with sentinels and for none with a plain URL', () => {
    expect(replicaAckPolicy({ redisSentinels: 'a:1' })).toEqual({ replicas: 1, timeoutMs: 1_000 });
    expect(replicaAckPolicy({ redisSentinels: '' })).toEqual({ replicas: 0, timeoutMs: 1_000 });
    expect(replicaAckPolicy({ redisReplicaAcks: 2, redisReplicaAckTimeoutMs: 50 })).toEqual({
      replicas: 2,
      timeoutMs: 50,
    });
  });
});
