import { describe, expect, it } from 'vitest';
import { ChainKeys, ControlPlaneCodecs } from './control-plane.js';
import { StarError } from './errors.js';

describe('control-plane codecs', () => {
  const key = ChainKeys.shardConfig(3);

  it('round-trips a shard configuration', () => {
    const config = { shard: 3, term: 7, chain: [{ id: 'n1', address: '127.0.0.1:1' }] };
    const codec = ControlPlaneCodecs.shardConfig;
    expect(codec.decode(codec.encode(config), key)).toEqual(config);
  });

  it('turns a malformed value into a typed error naming the key and the field', () => {
    const decode = (raw: string) => () => ControlPlaneCodecs.shardConfig.decode(raw, key);
    expect(decode('{not json')).toThrow(StarError);
    expect(decode('{not json')).toThrow(/star:shard:3:config holds no JSON shard configuration/);
    expect(decode('{"shard":3,"term":0,"chain":[]}')).toThrow(/invalid shard configuration: \/term/);
    try {
      decode('{"shard":3}')();
    } catch (error) {
      expect(error).toMatchObject({ code: 'MalformedControlPlane', details: { key } });
    }
  });

  it('checks node registrations', () => {
    const where = `${ChainKeys.nodeRegistry}[n1]`;
    expect(() =>
      ControlPlaneCodecs.nodeRegistration.decode('{"id":"n1","address":"","group":"g"}', where),
    ).toThrow(/star:nodes\[n1\] holds an invalid node registration/);
  });

  it('checks API key and catalog records', () => {
    const where = 'star:apikeys[0123456789abcdef]';
    const record = {
      id: '0123456789abcdef',
      name: 'ci',
      scopes: ['read:ns'],
      createdAt: '2026-12-03T00:00:00.000Z',
      secretSha256: 'a'.repeat(64),
    };
    expect(ControlPlaneCodecs.apiKey.decode(JSON.stringify(record), where)).toEqual(record);
    const { secretSha256: _dropped, ...withoutSecret } = record;
    expect(() => ControlPlaneCodecs.apiKey.decode(JSON.stringify(withoutSecret), where)).toThrow(
      /invalid API key record: \/secretSha256/,
    );
    expect(() =>
      ControlPlaneCodecs.apiKey.decode(JSON.stringify({ ...record, scopes: ['root'] }), where),
    ).toThrow(/\/scopes\/0/);
    expect(() => ControlPlaneCodecs.catalog.decode('{"name":"pg"}', 'star:catalogs[pg]')).toThrow(
      /star:catalogs\[pg\] holds an invalid catalog record/,
    );
  });
});

describe('applied reports', () => {
  it('round-trip and refuse a malformed one', () => {
    const codec = ControlPlaneCodecs.appliedReport;
    const report = { node: 'n1', at: 1, shards: [{ shard: 3, term: 7 }] };
    const where = ChainKeys.nodeApplied('n1');
    expect(codec.decode(codec.encode(report), where)).toEqual(report);
    expect(() => codec.decode('{"node":"n1","at":1,"shards":[{"shard":3}]}', where)).toThrow(
      /star:node:n1:applied holds an invalid applied report/,
    );
  });
});

describe('node lease records', () => {
  it('checks node lease records: an incarnation and a renewal counter', () => {
    const where = ChainKeys.nodeLease('n1');
    const codec = ControlPlaneCodecs.nodeLease;
    const record = { incarnation: '6f1c', renewal: 12 };
    expect(codec.decode(codec.encode(record), where)).toEqual(record);
    // What nodes wrote before renewals carried a counter: a bare instance id.
    expect(() => codec.decode('node-host-123', where)).toThrow(
      /star:node:n1:lease holds no JSON node lease record/,
    );
    expect(() => codec.decode('{"incarnation":"6f1c","renewal":0}', where)).toThrow(/\/renewal/);
  });
});
