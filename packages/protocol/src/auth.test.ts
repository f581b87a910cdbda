import { describe, expect, it } from 'vitest';
import { isScope, namespaceScope, type Scope, scopeAllows } from './auth.js';

describe('scopeAllows', () => {
  it('lets `*` do everything, including admin and every namespace', () => {
    for (const needed of ['admin', '*', 'read:a', 'write:a', 'read:*', 'write:*'] as Scope[]) {
      expect(scopeAllows(['*'], needed)).toBe(true);
    }
  });

  it('lets `admin` administer but not touch data, nor stand in for `*`', () => {
    expect(scopeAllows(['admin'], 'admin')).toBe(true);
    expect(scopeAllows(['admin'], 'read:a')).toBe(false);
    expect(scopeAllows(['admin'], 'write:a')).toBe(false);
    expect(scopeAllows(['admin'], '*')).toBe(false);
  });

  it('lets `read:<ns>` read that namespace only', () => {
    expect(scopeAllows(['read:a'], 'read:a')).toBe(true);
    expect(scopeAllows(['read:a'], 'write:a')).toBe(false);
    expect(scopeAllows(['read:a'], 'read:b')).toBe(false);
    expect(scopeAllows(['read:a'], 'read:*')).toBe(false);
    expect(scopeAllows(['read:a'], 'admin')).toBe(false);
  });

  it('lets `write:<ns>` write and read that namespace only', () => {
    expect(scopeAllows(['write:a'], 'write:a')).toBe(true);
    expect(scopeAllows(['write:a'], 'read:a')).toBe(true);
    expect(scopeAllows(['write:a'], 'write:b')).toBe(false);
    expect(scopeAllows(['write:a'], 'read:b')).toBe(false);
    expect(scopeAllows(['write:a'], 'admin')).toBe(false);
  });

  it('lets `read:*` read every namespace and write none', () => {
    expect(scopeAllows(['read:*'], 'read:a')).toBe(true);
    expect(scopeAllows(['read:*'], 'read:*')).toBe(true);
    expect(scopeAllows(['read:*'], 'write:a')).toBe(false);
    expect(scopeAllows(['read:*'], 'admin')).toBe(false);
  });

  it('lets `write:*` read and write every namespace, but not administer', () => {
    expect(scopeAllows(['write:*'], 'write:a')).toBe(true);
    expect(scopeAllows(['write:*'], 'read:b')).toBe(true);
    expect(scopeAllows(['write:*'], 'write:*')).toBe(true);
    expect(scopeAllows(['write:*'], 'admin')).toBe(false);
  });

  it('grants the union of several scopes, and nothing from none', () => {
    const granted: Scope[] = ['read:a', 'write:b'];
    expect(scopeAllows(granted, 'read:a')).toBe(true);
    expect(scopeAllows(granted, 'write:b')).toBe(true);
    expect(scopeAllows(granted, 'write:a')).toBe(false);
    expect(scopeAllows(granted, 'read:c')).toBe(false);
    expect(scopeAllows([], 'read:a')).toBe(false);
  });

  it('does not confuse a namespace with another that shares its prefix', () => {
    expect(scopeAllows(['write:orders'], 'write:orders-archive')).toBe(false);
    expect(scopeAllows(['read:orders-archive'], 'read:orders')).toBe(false);
  });
});

describe('isScope', () => {
  it('accepts the documented forms', () => {
    for (const scope of ['*', 'admin', 'read:a', 'write:a.b-c_d', 'read:*', 'write:*']) {
      expect(isScope(scope)).toBe(true);
    }
    expect(namespaceScope('write', 'users')).toBe('write:users');
  });

  it('rejects anything else', () => {
    for (const scope of ['', 'Admin', 'read', 'read:', 'delete:a', 'read:a b', 'read:-a', 'read:**', 42]) {
      expect(isScope(scope)).toBe(false);
    }
  });
});
