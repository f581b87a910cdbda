import { describe, expect, it } from 'vitest';
import { SecretBox } from './secret-box.js';

const key = 'k'.repeat(16) + 'x'.repeat(16);

describe('SecretBox', () => {
  it('seals with a fresh IV each time and opens back', () => {
    const box = new SecretBox(key);
    const a = box.seal('hunter2', 'catalog c property password');
    const b = box.seal('hunter2', 'catalog c property password');
    expect(a).not.toBe(b);
    expect(a).not.toContain('hunter2');
    expect(box.open(a, 'catalog c property password')).toBe('hunter2');
  });

  it('refuses a ciphertext moved to another catalog, a tampered one, or another key', () => {
    const box = new SecretBox(key);
    const sealed = box.seal('hunter2', 'catalog c property password');
    expect(() => box.open(sealed, 'catalog d property password')).toThrow(/cannot decrypt/);
    const parts = sealed.split(':');
    const flipped = Buffer.from(parts[3]!, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    parts[3] = flipped.toString('base64');
    expect(() => box.open(parts.join(':'), 'catalog c property password')).toThrow(/cannot decrypt/);
    expect(() => new SecretBox('y'.repeat(40)).open(sealed, 'catalog c property password')).toThrow(
      /cannot decrypt/,
    );
  });

  it('without a key, sealing fails saying which variable to set; a short key is refused', () => {
    expect(() => new SecretBox('').seal('x', 'c')).toThrow(/STAR_CATALOG_SECRET_KEY/);
    expect(() => new SecretBox('short')).toThrow(/at least 32 characters/);
  });
});
