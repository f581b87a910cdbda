import { describe, expect, it } from 'vitest';
import { advertisedAddress } from './advertised-address.js';

describe('advertisedAddress', () => {
  it('uses STAR_ADVERTISE_ADDRESS when set', () => {
    expect(advertisedAddress('n1.example:7600', { host: '0.0.0.0', port: 7600 }, 'box')).toBe(
      'n1.example:7600',
    );
  });

  it('uses the listen host when it is a specific address', () => {
    expect(advertisedAddress(undefined, { host: '127.0.0.1', port: 4100 }, 'box')).toBe('127.0.0.1:4100');
  });

  it('uses the hostname when listening on every interface (a container)', () => {
    expect(advertisedAddress(undefined, { host: '0.0.0.0', port: 7600 }, 'a1b2c3d4e5f6')).toBe(
      'a1b2c3d4e5f6:7600',
    );
    expect(advertisedAddress(undefined, { host: '::', port: 7600 }, 'a1b2c3d4e5f6')).toBe(
      'a1b2c3d4e5f6:7600',
    );
  });
});
