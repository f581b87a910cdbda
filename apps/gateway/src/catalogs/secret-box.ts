import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { StarError } from '@star/protocol';

const VERSION = 'v1';
const MIN_KEY_LENGTH = 32;

/**
 * Encrypts catalog secrets at rest with AES-256-GCM (node:crypto). The 256-bit key is derived with
 * HKDF-SHA256 from STAR_CATALOG_SECRET_KEY; each value gets a fresh 96-bit IV, and the catalog and
 * property name are authenticated data, so a ciphertext copied to another catalog or property
 * does not decrypt. Stored form: `v1:<iv>:<tag>:<ciphertext>` (base64 parts).
 */
export class SecretBox {
  readonly #key: Buffer | undefined;

  constructor(keyMaterial: string) {
    if (keyMaterial === '') return;
    if (keyMaterial.length < MIN_KEY_LENGTH) {
      throw new StarError(
        'InvalidConfig',
        `STAR_CATALOG_SECRET_KEY must be at least ${MIN_KEY_LENGTH} characters`,
      );
    }
    this.#key = Buffer.from(hkdfSync('sha256', keyMaterial, 'star-catalogs', 'catalog-secrets-v1', 32));
  }

  get enabled(): boolean {
    return this.#key !== undefined;
  }

  seal(plaintext: string, context: string): string {
    const key = this.#requireKey();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      iv.toString('base64'),
      cipher.getAuthTag().toString('base64'),
      ciphertext.toString('base64'),
    ].join(':');
  }

  open(sealed: string, context: string): string {
    const key = this.#requireKey();
    const [version, iv, tag, ciphertext] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || ciphertext === undefined) {
      throw new StarError('Internal', `a stored catalog secret (${context}) is not in a known format`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new StarError(
        'InvalidConfig',
        `cannot decrypt a secret of ${context}: STAR_CATALOG_SECRET_KEY differs from the key it was stored with`,
      );
    }
  }

  #requireKey(): Buffer {
    if (!this.#key) {
      throw new StarError(
        'InvalidConfig',
        'catalog secrets need STAR_CATALOG_SECRET_KEY (32+ characters, the same on every gateway)',
      );
    }
    return this.#key;
  }
}
