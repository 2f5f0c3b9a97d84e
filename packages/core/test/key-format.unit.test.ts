import { describe, expect, it } from 'vitest';
import {
  describeSecret,
  digestsEqual,
  generateSecret,
  isWellFormedSecret,
  SECRET_LENGTH,
  SECRET_PREFIX,
  secretDigest,
} from '../src/index.js';

describe('the key format', () => {
  it('reads kp_, 43 random base62 characters and a 6-character checksum', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^kp_[0-9A-Za-z]{49}$/);
    expect(secret).toHaveLength(SECRET_LENGTH);
    expect(secret.startsWith(SECRET_PREFIX)).toBe(true);
    expect(isWellFormedSecret(secret)).toBe(true);
  });

  it('still accepts secrets issued by earlier versions (the same CRC-32)', () => {
    expect(isWellFormedSecret('kp_D47ru0WxFY3gyXTnQL2nWQz3xwgxv1jV1CUUMIV4ibb1w5ojZ')).toBe(true);
    expect(isWellFormedSecret('kp_D47ru0WxFY3gyXTnQL2nWQz3xwgxv1jV1CUUMIV4ibb1w5ojY')).toBe(false);
  });

  it('never repeats itself', () => {
    const secrets = new Set(Array.from({ length: 2000 }, generateSecret));
    expect(secrets.size).toBe(2000);
  });

  it('rejects any single-character typo through its checksum', () => {
    const secret = generateSecret();
    for (let index = SECRET_PREFIX.length; index < secret.length; index += 1) {
      const original = secret[index] as string;
      const replacement = original === 'a' ? 'b' : 'a';
      const typo = secret.slice(0, index) + replacement + secret.slice(index + 1);
      expect(isWellFormedSecret(typo), `typo at ${index}`).toBe(false);
    }
  });

  it('rejects other shapes without throwing', () => {
    for (const candidate of [
      '',
      'kp_',
      'kp_short',
      `${generateSecret()}x`,
      generateSecret().replace('kp_', 'xx_'),
      '🔑'.repeat(30),
    ]) {
      expect(isWellFormedSecret(candidate)).toBe(false);
    }
  });

  it('shows only the start and the last four characters', () => {
    const secret = generateSecret();
    expect(describeSecret(secret)).toEqual({ hint: secret.slice(0, 7), lastFour: secret.slice(-4) });
  });

  it('digests with a keyed HMAC, compared in constant time', () => {
    const hashSecret = secretDigest('a-server-secret-of-thirty-two-chars!');
    const otherServer = secretDigest('another-server-secret-of-32-chars!!!');
    const secret = generateSecret();
    expect(hashSecret(secret)).toMatch(/^[0-9a-f]{64}$/);
    expect(otherServer(secret)).not.toBe(hashSecret(secret));
    expect(() => secretDigest('short')).toThrow();
    expect(hashSecret(secret)).toBe(hashSecret(secret));
    expect(hashSecret(secret)).not.toContain(secret);
    expect(digestsEqual(hashSecret(secret), hashSecret(secret))).toBe(true);
    expect(digestsEqual(hashSecret(secret), hashSecret(generateSecret()))).toBe(false);
    expect(digestsEqual(hashSecret(secret), 'abcd')).toBe(false);
  });
});
