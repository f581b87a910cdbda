import { describe, expect, it } from 'vitest';
import { prefixEnd } from './key-range.js';

describe('prefixEnd', () => {
  it('bumps the last code point', () => {
    expect(prefixEnd('ab')).toBe('ac');
    expect(prefixEnd('a/')).toBe('a0');
    expect(prefixEnd('x\u{d7ff}')).toBe('x\u{e000}');
    expect(prefixEnd('x😀')).toBe('x😁');
  });

  it('drops trailing U+10FFFF and has no bound for an empty prefix', () => {
    expect(prefixEnd('a\u{10ffff}\u{10ffff}')).toBe('b');
    expect(prefixEnd('\u{10ffff}')).toBeUndefined();
    expect(prefixEnd('')).toBeUndefined();
  });

  it('is above every key with the prefix in UTF-8 byte order', () => {
    const prefix = 'k/é';
    const end = Buffer.from(prefixEnd(prefix)!);
    for (const key of ['k/é', 'k/é\u{10ffff}', 'k/é😀', 'k/é\u{ffff}zz']) {
      expect(Buffer.compare(Buffer.from(key), end)).toBe(-1);
    }
    expect(Buffer.compare(Buffer.from('k/ê'), end)).toBe(0);
  });
});
